// @tchannel/vcr: record outgoing TChannel calls into YAML cassettes (tchannel-python's format)
// and replay them in later test runs (tchannel-python's tchannel.testing.vcr).
export { useCassette, withCassette, insertCassette } from "./use-cassette.js";
export { Cassette, type CassetteOptions } from "./cassette.js";
export { RECORD_MODES, type RecordModeName } from "./record-mode.js";
export { DEFAULT_MATCHERS, MATCHER_NAMES, type MatcherFunction, type MatcherName } from "./matchers.js";
export type { CassetteRequest, CassetteResponse, ClosestInteraction, Interaction, RecordedError } from "./interaction.js";
export { CASSETTE_VERSION, parseCassette, serializeCassette } from "./cassette-yaml.js";
export { CannotRecordInteractionsError, CassetteFormatError, UnsupportedCassetteVersionError, VcrError } from "./vcr-errors.js";
