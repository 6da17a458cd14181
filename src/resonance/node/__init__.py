"""The data node (接入连接器) that runs at each enterprise: local catalog, profiling, quality, sensitivity, publishing.

Raw rows never leave the node; only metadata that passes small-count suppression is published.
"""
