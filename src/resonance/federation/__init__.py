"""Federated learning on Flower's deployment engine: the space's SuperLink, the nodes' SuperNodes, runs.

Modules: ``pki`` (the space's CA and server certificate), ``flower_keys`` (each node's SuperNode key),
``superlink`` / ``supernode`` (process supervisors), ``runner`` (submit, follow and stop runs). Importing this
package imports nothing heavy; import the module you need.
"""
