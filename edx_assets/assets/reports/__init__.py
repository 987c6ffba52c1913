"""Report assets for BI tools: one module per report family, CSV files under EDX_DATA_DIR/reports/{week}/."""
