"""The clinic admin's screens, all in one place: the home page, staff and supervision links,
settings, the audit report, failed reminders, the patient roster and caseload handover. The
writes stay in the services of the app that owns each row."""
