"""Training: data sources, losses and the loop behind `tempo train`."""
