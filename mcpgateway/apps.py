from django.apps import AppConfig


class McpGatewayConfig(AppConfig):
    name = "mcpgateway"
    verbose_name = "MCP gateway"

    def ready(self) -> None:
        from mcpgateway.audit import signals as audit_signals  # noqa: F401
        from mcpgateway.core import checks, signals  # noqa: F401
        from mcpgateway.mcp import policies  # noqa: F401  its pre_save check of every tool policy
