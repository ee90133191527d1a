"""The REST endpoints, one module per area; `ROUTES` lists every implemented route."""

from fakediscord.rest import channels, commands, events, guilds, interactions, messages, users
from fakediscord.rest.context import Route


def _parameter_count(route: Route) -> int:
    return route.template.count("{")


# Fewer parameters first, so literal paths (…/@me, …/@original, …/bulk-delete) are tried
# before the parameterised paths that would also match them.
ROUTES: list[Route] = sorted(
    [
        *users.routes.routes,
        *commands.routes.routes,
        *interactions.routes.routes,
        *messages.routes.routes,
        *channels.routes.routes,
        *guilds.routes.routes,
        *events.routes.routes,
    ],
    key=_parameter_count,
)
