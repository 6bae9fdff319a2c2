// The cluster door: relays sharing rooms through NATS JetStream (issue 15). It is its own bundle,
// dist/cluster.js with the NATS client inside, loaded through ./load only when a relay is clustered,
// so the extension's activation and the plain relay never read it.
export { Cluster, parseClusterServers, type ClusterAuth, type ClusterConfig, type ClusterStatus } from './connect';
export { RoomLog, MAX_READ, type AppendResult, type LogState, type ReadResult, type RoomLogOptions } from './room-log';
export { Follower, type LogRecord } from './follower';
export { RoomPresence, type PresenceChange, type PresenceEntry, type PresenceOptions } from './presence';
export { ROOM_NAME, AUTHOR } from './names';
export { RelayDirectory, type RelayAd } from './relays';
export { RoomInfos, type ClusterRoomInfo, type ClusterRotation } from './room-infos';
export { SharedDeviceKeys, type SharedDh } from './device-keys';
export { SharedFiles, FILES_BUCKET, STALE_MARKER_MS, TooBig, sharedSize, type SharedFileMeta, type SharedFileState } from './files';
