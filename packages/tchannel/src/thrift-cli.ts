#!/usr/bin/env node
// `tchannel-thrift` as installed with tchannel-ts: the generated declarations import from tchannel-ts.
import { runTypesCli } from "@tchannel/thrift";

process.exitCode = runTypesCli(process.argv.slice(2), "tchannel-ts");
