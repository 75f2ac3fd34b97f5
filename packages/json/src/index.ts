export { jsonClient, jsonScheme, type JsonHeaders } from "./json-scheme.js";
