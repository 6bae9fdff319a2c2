// Relays found on the network without typing an address (issue 12): a relay's owner announces it,
// anyone browses. Its own door, apart from src/chat/index.ts, so that multicast-dns is bundled only
// into what discovers (the CLI today; the extension's Find Relays and "share on my network" later).
export { Announcer, hostName, type AnnounceOptions, type AnnounceUpdate, type AnnouncerEvents } from './announce';
export { RelayBrowser, discover, type BrowseOptions, type BrowserEvents, type Discovery } from './browse';
export type { FoundRelay, FoundVia, RelayAddress } from './found';
export { SERVICE_TYPE, TXT_VERSION, type AnnouncedRoom } from './info';
export { announceTargets, isLoopback } from './interfaces';
export { LEGACY_PORT, PROBE_PORT } from './probe';
