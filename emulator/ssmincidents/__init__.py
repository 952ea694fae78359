"""The ssm-incidents service for moto, laid out as a moto service folder."""

from .models import ssmincidents_backends

__all__ = ["ssmincidents_backends"]
