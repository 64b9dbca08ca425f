"""Reports: the KPI charts (SVG) and the weekly report (data, JSON, PDF).

* :mod:`~artguard.reports.charts` - each KPI chart as accessible SVG, from the KPI dict;
* :mod:`~artguard.reports.weekly` - the weekly report for seven days on the site's calendar,
  an ordered list of sections (:data:`~artguard.reports.weekly.SECTIONS`);
* :mod:`~artguard.reports.pdf` - that report as a PDF with the same charts.
"""
