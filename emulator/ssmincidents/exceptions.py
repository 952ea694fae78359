"""Every error the ssm-incidents emulator can raise, named as the service model names it.

Each class carries the error code botocore matches on; the HTTP status and the extra members
(``quotaCode``, ``serviceCode``, ``resourceType``...) come from the service model when moto
serializes the exception.
"""

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
