"""The agent factory (智能体工厂): signed A2A AgentCards in the registry, an MCP server over the space's catalog
and models, and the demo's predictive-maintenance agent. See docs/agents.md."""
