"""Report computations over the per-course collections and Eventos (MongoDB aggregations, streamed)."""
