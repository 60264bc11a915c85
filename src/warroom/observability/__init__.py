"""What warroom says about itself: Prometheus metrics."""
