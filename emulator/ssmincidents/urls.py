"""ssm-incidents base URLs and the paths of the replication-set operations."""

from .responses import SsmIncidentsResponse

url_bases = [r"https?://ssm-incidents\.(.+)\.amazonaws\.com"]

url_paths = {
    "{0}/createReplicationSet$": SsmIncidentsResponse.dispatch,
    "{0}/getReplicationSet$": SsmIncidentsResponse.dispatch,
    "{0}/listReplicationSets$": SsmIncidentsResponse.dispatch,
    "{0}/updateReplicationSet$": SsmIncidentsResponse.dispatch,
    "{0}/deleteReplicationSet$": SsmIncidentsResponse.dispatch,
    "{0}/updateDeletionProtection$": SsmIncidentsResponse.dispatch,
    "{0}/tags/(?P<resourceArn>.+)$": SsmIncidentsResponse.dispatch,
}
