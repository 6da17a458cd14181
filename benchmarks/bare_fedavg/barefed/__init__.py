"""The bare Flower FedAvg app that ``benchmarks/federation.py`` times our job app against."""
