"""`knowpay demo`: a simulated community, driven through the real dispatcher and payments, and
its latest weekly report."""
