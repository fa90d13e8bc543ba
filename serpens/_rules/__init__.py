"""I/O-free rules shared by each port's fake and its adapters, one module per port."""
