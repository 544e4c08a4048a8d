"""Price charts: pure rendering (render.py) and the cached, off-loop service (service.py)."""
