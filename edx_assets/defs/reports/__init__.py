"""The weekly reports (CSV files, some MongoDB collections) and the daily tables, one module per asset."""
