# The production image: gunicorn + WhiteNoise for web; the same image runs the worker and beat.
FROM python:3.12-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --uid 10001 ipt
WORKDIR /app

COPY pyproject.toml ./
RUN python - <<'PY' > /tmp/requirements.txt && pip install -r /tmp/requirements.txt
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY

COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only IPT_SINGLE_HOST=true IPT_VAR_DIR=/tmp/var \
    python manage.py collectstatic --no-input -v0

USER ipt
EXPOSE 8000
CMD ["gunicorn", "ipt_clinic.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
