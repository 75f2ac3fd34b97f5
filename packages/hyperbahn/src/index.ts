// @tchannel/hyperbahn: advertise a service on Uber's Hyperbahn routing mesh, keep it advertised,
// and route calls through the routers.
export { AdvertiseRejectedError, HyperbahnClient, advertise, type AdvertiseResult, type HyperbahnClientEvents } from "./hyperbahn-client.js";
export { AdvertiseOptionsSchema, parseAdvertiseOptions, type AdvertiseOptions } from "./advertise-options.js";
export { RouterFileError, readRouterFile } from "./router-file.js";
