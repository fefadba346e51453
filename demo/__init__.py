"""Demo data: the demo clinic that `make run` seeds, and the large clinic for benchmarks.

It sits above every app and no app imports it: the seed commands build their data through
the apps' own services, as a clinic's staff would.
"""
