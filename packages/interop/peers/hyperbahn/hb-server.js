#!/usr/bin/env node
'use strict';
// One Hyperbahn 2.20.1 router node (npm `hyperbahn`, installed in ./node_modules by
// ../../scripts/install-peers.sh hyperbahn) for interop tests, on 127.0.0.1 only.
//
//   node hb-server.js --port 21300 [--bootstrap 127.0.0.1:21300,127.0.0.1:21301]
//                     [--reap-ms 2000] [--remote-config '{"kValue.default":1}']
//                     [--rundir DIR] [--no-wait-ring]
//
//   --port N          the TChannel port (required; 127.0.0.1)
//   --bootstrap LIST  ringpop bootstrap hosts, comma-separated host:port (include this node;
//                     default: only this node, a one-node ring)
//   --reap-ms P       hyperbahn remote config `peerReaper.period`: a service peer that is not
//                     re-advertised is dropped after P..2P ms (default 0 = never; hyperbahn's
//                     default). Only read at startup.
//   --remote-config J more remote config, a flat JSON object key -> value (e.g.
//                     {"kValue.services": {"svc": 1}}); written to DIR/remote-config.json as
//                     hyperbahn's [{key, value}] array, polled every 1 s.
//   --rundir DIR      where remote-config.json / uncaught-exception.log / heap snapshots go;
//                     default a fresh temp dir, removed on exit.
//   --no-wait-ring    print LISTENING as soon as ringpop has bootstrapped, without waiting until
//                     every bootstrap host is in this node's hash ring.
//
// Prints exactly one line `LISTENING <host:port>` on stdout once the node listens, ringpop has
// bootstrapped and (unless --no-wait-ring) every bootstrap host is in its ring. Everything else
// (hyperbahn's console log) goes to stderr. SIGTERM/SIGINT: hyperbahn drains and closes; the
// process exits 0 (forced after 5 s). An uncaught exception before LISTENING (e.g. the port is
// taken) exits 1.
//
// How hyperbahn 2.20.1 runs on Node 20 here (see package.json): npm overrides tchannel -> 4.0.1,
// farmhash 3.3.1, sse4_crc32 6.0.1, toobusy -> toobusy-js; stubs for metrics (../stubs/metrics,
// ringpop needs Histogram/Meter), gc-stats, heapdump, bignum (./stubs). This launcher is
// hyperbahn/server.js's main() with a config overlay: no /var/log, /var/cache, /etc, statsd UDP
// or Kafka; every host-less listen() (repl, nagios control server) forced onto 127.0.0.1;
// uncaught exceptions printed to stderr (hyperbahn's own handler swallows them and can leave the
// process hung).

var path = require('path');
var fs = require('fs');
var os = require('os');
var net = require('net');

// stdout carries only the LISTENING line.
var writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = function toStderr() {
    return process.stderr.write.apply(process.stderr, arguments);
};

function usage(problem) {
    if (problem) process.stderr.write('hb-server: ' + problem + '\n');
    process.stderr.write('usage: hb-server.js --port N [--bootstrap h:p,h:p] [--reap-ms P] ' +
        '[--remote-config JSON] [--rundir DIR] [--no-wait-ring]\n');
    process.exit(problem ? 2 : 0);
}

function parseArgs(argv) {
    var opts = {port: null, bootstrap: null, reapMs: 0, remoteConfig: {}, rundir: null, waitRing: true};
    for (var i = 0; i < argv.length; i++) {
        var a = argv[i];
        var eq = a.indexOf('=');
        var key = eq > 0 ? a.slice(0, eq) : a;
        var inlineVal = eq > 0 ? a.slice(eq + 1) : null;
        var next = function next() {
            if (inlineVal !== null) return inlineVal;
            if (i + 1 >= argv.length) usage('missing value for ' + key);
            return argv[++i];
        };
        switch (key) {
            case '--port': opts.port = Number(next()); break;
            case '--bootstrap': opts.bootstrap = next().split(',').map(function t(s) { return s.trim(); }).filter(Boolean); break;
            case '--reap-ms': opts.reapMs = Number(next()); break;
            case '--remote-config':
                try { opts.remoteConfig = JSON.parse(next()); } catch (e) { usage('--remote-config: ' + e.message); }
                break;
            case '--rundir': opts.rundir = path.resolve(next()); break;
            case '--no-wait-ring': opts.waitRing = false; break;
            case '--help': case '-h': usage(null); break;
            default: usage('unknown argument ' + a);
        }
    }
    if (!Number.isInteger(opts.port) || opts.port <= 0 || opts.port > 65535) usage('--port is required (1..65535)');
    if (!(opts.reapMs >= 0)) usage('bad --reap-ms');
    if (!opts.bootstrap || !opts.bootstrap.length) opts.bootstrap = ['127.0.0.1:' + opts.port];
    return opts;
}

var opts = parseArgs(process.argv.slice(2));
var ownRundir = !opts.rundir;
var rundir = opts.rundir || fs.mkdtempSync(path.join(os.tmpdir(), 'hb-server-' + opts.port + '-'));
fs.mkdirSync(rundir, {recursive: true});
process.on('exit', function cleanup() {
    if (ownRundir) {
        try { fs.rmSync(rundir, {recursive: true, force: true}); } catch (e) { /* ignore */ }
    }
});

// --- loopback-only listens -------------------------------------------------------------------
var origListen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackListen() {
    var args = Array.prototype.slice.call(arguments);
    if (args.length && typeof args[0] === 'object' && args[0] !== null) {
        if (!args[0].host && args[0].path === undefined) args[0].host = '127.0.0.1';
    } else if (typeof args[0] === 'number' || typeof args[0] === 'string' || args[0] === undefined || args[0] === null) {
        if (args[0] === undefined || args[0] === null) args[0] = 0;
        if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
    }
    return origListen.apply(this, args);
};

// Before the node is ready an uncaught exception (e.g. listen EADDRINUSE) would leave it hung:
// exit 1 instead. Afterwards hyperbahn's own handler (registered below) takes over.
var ready = false;
process.on('uncaughtException', function printFirst(err) {
    process.stderr.write('[hb-server] uncaught exception: ' + (err && err.stack || err) + '\n');
    if (!ready) {
        process.stderr.write('[hb-server] exiting: the node did not start\n');
        process.exit(1);
    }
});

var hyperbahnDir = path.dirname(require.resolve('hyperbahn/package.json'));
var StaticConfig = require('static-config');
var Application = require(path.join(hyperbahnDir, 'app.js'));

// hyperbahn's remote config file: an array of {key, value}.
var remote = {'peerReaper.period': opts.reapMs};
Object.keys(opts.remoteConfig).forEach(function copy(k) { remote[k] = opts.remoteConfig[k]; });
var remoteConfigFile = path.join(rundir, 'remote-config.json');
fs.writeFileSync(remoteConfigFile, JSON.stringify(Object.keys(remote).map(function kv(k) {
    return {key: k, value: remote[k]};
})) + '\n');

var overlay = {
    'tchannel.host': '127.0.0.1',
    'clients.logtron.console': true,
    'clients.logtron.logFile': null,          // production.json: /var/log/hyperbahn/hyperbahn.log
    'clients.logtron.kafka': null,
    'clients.logtron.sentry': null,
    'clients.uber-statsd-client': null,       // -> NullStatsd (production: UDP 127.0.0.1:4744)
    'clients.uncaught-exception.file': path.join(rundir, 'uncaught-exception.log'),
    'clients.remote-config.file': remoteConfigFile,
    'clients.remote-config': {pollInterval: 1000},
    'clients.remote-config.logError': false,
    'clients.heapsnapshot': {folder: path.join(rundir, 'heap-snapshots')},
    'hyperbahn.ringpop.bootstrapFile': null
};

var config = StaticConfig({
    files: [
        path.join(hyperbahnDir, 'config', 'production.json'),
        path.join(hyperbahnDir, 'config', 'local.json')
    ],
    seedConfig: overlay
});

var argv = {port: opts.port, host: '127.0.0.1', bootstrapFile: JSON.stringify(opts.bootstrap)};
var app = Application(config, {argv: argv, processTitle: process.title});
process.on('uncaughtException', app.clients.onError);

var stopping = false;
function onSignal(sig) {
    if (!stopping) {
        stopping = true;
        process.stderr.write('[hb-server] ' + sig + ': draining and closing\n');
        setTimeout(function forceExit() {
            process.stderr.write('[hb-server] still running 5 s after ' + sig + ', exiting\n');
            process.exit(0);
        }, 5000).unref();
    }
    if (sig === 'SIGINT') app.onSigInt();
    else app.onSigTerm();
}
process.on('SIGTERM', function t() { onSignal('SIGTERM'); });
process.on('SIGINT', function i() { onSignal('SIGINT'); });

app.bootstrapAndListen(function onAppReady(err) {
    if (err) {
        process.stderr.write('[hb-server] bootstrap failed: ' + (err.stack || err) + '\n');
        process.exit(1);
        return;
    }
    var ringpop = app.clients.ringpop;
    var started = Date.now();
    var lastReport = started;
    (function waitRing() {
        if (stopping) return;
        var missing = opts.waitRing ? opts.bootstrap.filter(function m(h) { return !ringpop.ring.hasServer(h); }) : [];
        if (ringpop.isReady && missing.length === 0) {
            process.stderr.write('[hb-server] ready ' + JSON.stringify({
                hostPort: app.tchannel.hostPort,
                ring: ringpop.ring.servers ? Object.keys(ringpop.ring.servers) : null,
                reapMs: opts.reapMs,
                rundir: rundir,
                pid: process.pid
            }) + '\n');
            ready = true;
            writeStdout('LISTENING ' + app.tchannel.hostPort + '\n');
            return;
        }
        if (Date.now() - lastReport > 5000) {
            lastReport = Date.now();
            process.stderr.write('[hb-server] waiting for ring members ' + JSON.stringify(missing) + '\n');
        }
        setTimeout(waitRing, 50);
    })();
});
