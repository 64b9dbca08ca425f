"""Privacy governance: data-subject requests, the record of processing, decision logic.

* :mod:`.subjects` says who a person is in the data: their id, name and credential ids, and
  finds the stored records that name them (:mod:`.matching` decides what "names" means).
* :mod:`.export` gathers everything about a person into one JSON (and a zip with a README).
* :mod:`.erase` erases or pseudonymises what may go and records that it happened.
* :mod:`.ropa` generates the record of processing / DPIA summary from the site file.
* :mod:`.logic` and :mod:`.logic_registry` explain an automated decision: rule, inputs,
  thresholds, model and version.
* :mod:`.audit_view` pages through the audit log for auditors.
* :mod:`.template_retention` erases face templates that are due (called by the purge).

See ``docs/privacy.md``.
"""
