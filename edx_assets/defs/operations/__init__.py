"""What watches the code location as a whole: failed runs of any job."""
