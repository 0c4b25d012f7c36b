"""All models, imported here so that Alembic and the app see the whole schema."""

from lms.models.accounts import (
    AccountToken,
    ManagerDepartment,
    Role,
    TokenPurpose,
    TrainerCompany,
    User,
    UserRole,
)
from lms.models.base import Base, utcnow
from lms.models.tenancy import Company, Department

__all__ = [
    "AccountToken",
    "Base",
    "Company",
    "Department",
    "ManagerDepartment",
    "Role",
    "TokenPurpose",
    "TrainerCompany",
    "User",
    "UserRole",
    "utcnow",
]
