"""BytePlus ModelArk (`/api/v3`, Bearer API key): Seedance video tasks and Seedream images."""

from mediagate.providers.ark.seedance import SeedanceProvider
from mediagate.providers.ark.seedream import SeedreamProvider

__all__ = ["SeedanceProvider", "SeedreamProvider"]
