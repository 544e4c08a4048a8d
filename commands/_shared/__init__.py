"""Helpers several features share; no commands here, and nothing here imports a feature.

- yaml_entries: curated YAML data files (bundled + the operator's), validated with precise errors
- dates: dates as precise as they are known (month, quarter, half), shown and compared at that precision
- units: quantities with units (pint), parsed from what people type and formatted back
- paging: the `page=` parameter and the slice it picks
- channel_rows: which stored schedules and alerts belong to the asking server or channel
"""
