#!/usr/bin/env node
// tchannel-thrift: tools for Thrift IDLs used with @tchannel/thrift.
//   tchannel-thrift types <file.thrift> [--out <file.d.ts>] [--name <ModuleInterface>] [--import <package>]
import { runTypesCli } from "./types-cli.js";

process.exitCode = runTypesCli(process.argv.slice(2), ["@tchannel", "thrift"].join("/"));
