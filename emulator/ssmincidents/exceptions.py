"""Every error the ssm-incidents emulator can raise, named as the service model names it.

Each class carries the error code botocore matches on; the HTTP status and the extra members
(``quotaCode``, ``serviceCode``, ``resourceType``...) come from the service model when moto
serializes the exception.
"""

from typing import Any

from moto.core.exceptions import ServiceException

SERVICE_CODE = "ssm-incidents"


class ValidationException(ServiceException):
    code = "ValidationException"


class _AboutReplicationSet(ServiceException):
    """An error whose model shape can name the replication set it is about."""

    def __init__(self, message: str, resource_identifier: str | None = None) -> None:
        super().__init__(message)
        if resource_identifier:
            self.resourceIdentifier = resource_identifier
            self.resourceType = "REPLICATION_SET"


class ConflictException(_AboutReplicationSet):
    code = "ConflictException"


class ResourceNotFoundException(_AboutReplicationSet):
    code = "ResourceNotFoundException"


class ServiceQuotaExceededException(ServiceException):
    code = "ServiceQuotaExceededException"
    serviceCode = SERVICE_CODE
    quotaCode = "replication-sets-per-account"


class ThrottlingException(ServiceException):
    code = "ThrottlingException"
    serviceCode = SERVICE_CODE
    quotaCode = "requests-per-second"


class AccessDeniedException(ServiceException):
    code = "AccessDeniedException"


class InternalServerException(ServiceException):
    code = "InternalServerException"


#: The errors a test may inject, by code (see :mod:`emulator.control`).
INJECTABLE: dict[str, type[ServiceException]] = {
    cls.code: cls
    for cls in (
        ValidationException,
        ConflictException,
        ResourceNotFoundException,
        ServiceQuotaExceededException,
        ThrottlingException,
        AccessDeniedException,
        InternalServerException,
    )
}


def injected(code: str, message: str | None, operation: str) -> ServiceException:
    """Build the exception a fault injection asked for."""
    cls: Any = INJECTABLE[code]
    return cls(message or f"Injected {code} for {operation}")  # type: ignore[no-any-return]
