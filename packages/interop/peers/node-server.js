#!/usr/bin/env node
'use strict';
// A tchannel-node 4.0.1 server used as the reference peer in interop tests.
//
//   node node-server.js [--service NAME]... [--thrift-keyvalue NAME]... [--port 0]
//                       [--host 127.0.0.1] [--verbose]
//                       [--hyperbahn ROUTER,ROUTER... [--advertise-interval MS]]
//
// Prints exactly one line `LISTENING <host:port>` on stdout once it accepts connections,
// then serves until SIGTERM/SIGINT, closes the channel and exits 0. Everything else
// (tchannel-node's log, with --verbose also info/debug) goes to stderr.
//
// Endpoints registered on every --service (default "node-server"):
//   raw  echo       -> ok, arg2/arg3 unchanged
//   raw  slow       -> waits parseInt(arg3) ms, then echoes (callers test their timeouts)
//   raw  app-error  -> not-ok call res (code 0x01), arg2 "err-head", arg3 "err-body"
//   raw  error      -> error frame: arg2 = code name (Timeout, Cancelled, Busy, Declined,
//                      UnexpectedError, BadRequest, NetworkError, Unhealthy, ProtocolError),
//                      arg3 = message
//   raw  forward    -> arg3 = JSON {hostPort, service, endpoint, body}: calls that raw endpoint
//                      with parent: req (tchannel-node propagates the tracing field to it) and
//                      answers with its arg3
//   raw  inspect    -> ok, arg3 = JSON of what the server saw: service, endpoint, transport
//                      headers, checksum type, ttl, tracing, arg2/arg3 lengths + sha256,
//                      and the connection it came on (remoteName, connectionDirection,
//                      socketRemoteAddr)
//   json add        -> body {a,b} -> {sum: a+b}; application headers echoed back
//   json fail       -> not-ok, body {type: "bad", message: "nope"}
//   json echo       -> ok, head and body echoed
//
// Thrift endpoints (as/thrift, IDL peers/keyvalue.thrift) on every --thrift-keyvalue service
// (none by default; may also be a --service name):
//   thrift KeyValue::setValue  {key, value} -> void; stores in an in-memory map
//   thrift KeyValue::getValue  {key} -> the stored string, or NotFoundError {key} (result
//                              field `notFound`) when missing
//   thrift Meta::health        tchannel-node's own (isHealthy -> {ok: true}); Meta::thriftIDL
// Thrift response heads echo the request head (application headers).
// Checksums: tchannel-node verifies any checksum type (0 none, 1 crc32, 2 farmhash32,
// 3 crc32c) and answers with the request's type; nothing to configure.
//
// --hyperbahn ROUTERS (comma-separated host:port): after listening, every --service and
// --thrift-keyvalue name is advertised to those Hyperbahn routers with tchannel-node's own
// HyperbahnClient (require('tchannel/hyperbahn'); service `hyperbahn`, json `ad`), which
// re-advertises every --advertise-interval MS (+-50% fuzz; HyperbahnClient's default 60000,
// i.e. every 30-90 s). Extra stdout lines, one JSON object each, in this mode only:
//   ADVERTISED {"service", "hostPort", "count", "result": <the ad response body>}  (every ad)
//   ADVERTISE-FAILED {"service", "error"}
//   CONNECTION {"direction": "in", "remoteName", "socketRemoteAddr"}  (an incoming connection
//              was identified: who connected to us, e.g. a router that relays calls)
//   ADVERTISING-STOPPED {}   after SIGUSR2, which stops re-advertising (no unad) so that a
//              router with a reap period drops this service
// On SIGTERM/SIGINT the services are unadvertised (`unad`, <= 1 s) before the channel closes.

var crypto = require('crypto');
var TChannel = require('tchannel');
var TChannelJSON = require('tchannel/as/json');
var TChannelAsThrift = require('tchannel/as/thrift');
var fs = require('fs');
var path = require('path');

var KEYVALUE_IDL = path.join(__dirname, 'keyvalue.thrift');

function parseArgs(argv) {
    var opts = {services: [], thriftServices: [], port: 0, host: '127.0.0.1', verbose: false,
        hyperbahn: null, advertiseInterval: undefined};
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
            case '--service': opts.services.push(next()); break;
            case '--thrift-keyvalue': opts.thriftServices.push(next()); break;
            case '--port': opts.port = Number(next()); break;
            case '--host': opts.host = next(); break;
            case '--verbose': opts.verbose = true; break;
            case '--hyperbahn': opts.hyperbahn = next().split(',').filter(Boolean); break;
            case '--advertise-interval': opts.advertiseInterval = Number(next()); break;
            case '--help': case '-h': usage(null); break;
            default: usage('unknown argument ' + a);
        }
    }
    if (opts.services.length === 0 && opts.thriftServices.length === 0) opts.services.push('node-server');
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage('bad --port');
    if (opts.hyperbahn && !opts.hyperbahn.length) usage('bad --hyperbahn');
    if (opts.advertiseInterval !== undefined && !(opts.advertiseInterval > 0)) usage('bad --advertise-interval');
    return opts;
}

function usage(problem) {
    if (problem) process.stderr.write('node-server: ' + problem + '\n');
    process.stderr.write('usage: node-server.js [--service NAME]... [--thrift-keyvalue NAME]... [--port 0] [--host 127.0.0.1] [--verbose]\n' +
        '                      [--hyperbahn ROUTER,ROUTER... [--advertise-interval MS]]\n');
    process.exit(problem ? 2 : 0);
}

function makeLogger(verbose) {
    function write(level) {
        return function log(msg, info) {
            var line;
            try {
                line = JSON.stringify({level: level, msg: msg, info: info});
            } catch (e) {
                line = JSON.stringify({level: level, msg: msg, info: String(info)});
            }
            process.stderr.write('node-server ' + line + '\n');
        };
    }
    function noop() {}
    return {
        debug: verbose ? write('debug') : noop,
        info: verbose ? write('info') : noop,
        warn: write('warn'),
        error: write('error'),
        fatal: write('fatal')
    };
}

function sha256(buf) {
    return crypto.createHash('sha256').update(buf).digest('hex');
}

function registerEndpoints(sub, json) {
    // tchannel-node dispatches on arg1 only, so raw `echo` and json `echo` share one
    // endpoint that looks at the `as` transport header (json -> as/json's handler).
    var jsonEcho = captureJSONHandler(json, sub, 'echo', function jsonEcho(ctx, req, head, body, cb) {
        cb(null, {ok: true, head: head, body: body});
    });
    sub.register('echo', function echo(req, res, arg2, arg3) {
        if (req.headers.as === 'json') {
            jsonEcho(req, res, arg2, arg3);
            return;
        }
        res.headers.as = req.headers.as || 'raw';
        res.sendOk(arg2, arg3);
    });

    // raw forward -> arg3 = JSON {hostPort, service, endpoint, body}: calls that raw endpoint as
    // a child of this request (parent: req, so tchannel-node's tracer propagates the tracing field:
    // same trace id and flags, parent id = this request's span id) and answers with its arg3.
    sub.register('forward', function forward(req, res, arg2, arg3) {
        res.headers.as = 'raw';
        var target;
        try {
            target = JSON.parse(String(arg3));
        } catch (err) {
            res.sendNotOk('bad-target', String(err));
            return;
        }
        // tchannel-node asserts a peer's connection is identified before a request goes out.
        sub.waitForIdentified({host: target.hostPort}, function identified(idErr) {
            if (idErr) {
                res.sendNotOk('forward-failed', String(idErr.message || idErr));
                return;
            }
            sub.request({
                host: target.hostPort,
                serviceName: target.service,
                parent: req,
                headers: {as: 'raw', cn: sub.serviceName || 'node-server'},
                timeout: 5000
            }).send(target.endpoint, '', target.body || '', function forwarded(err, fres, fArg2, fArg3) {
                if (err) {
                    res.sendNotOk('forward-failed', String(err.message || err));
                    return;
                }
                res.sendOk(fArg2, fArg3);
            });
        });
    });

    sub.register('slow', function slow(req, res, arg2, arg3) {
        var ms = parseInt(String(arg3), 10);
        if (!(ms >= 0)) ms = 0;
        setTimeout(function later() {
            // The request may have timed out on this side already; tchannel-node then
            // refuses to send (logged at warn level), which is fine.
            res.headers.as = 'raw';
            res.sendOk(arg2, arg3);
        }, ms);
    });

    sub.register('app-error', function appError(req, res) {
        res.headers.as = 'raw';
        res.sendNotOk('err-head', 'err-body');
    });

    sub.register('error', function errorFrame(req, res, arg2, arg3) {
        res.sendError(String(arg2) || 'UnexpectedError', String(arg3));
    });

    sub.register('inspect', function inspect(req, res, arg2, arg3) {
        var tracing = req.tracing || {};
        // tchannel-node keeps ids as [hi32, lo32] pairs.
        function hex(id) {
            if (!id) return null;
            if (Buffer.isBuffer(id)) return id.toString('hex');
            return id.map(function h(n) { return ('00000000' + (n >>> 0).toString(16)).slice(-8); }).join('');
        }
        var seen = {
            serviceName: req.serviceName,
            endpoint: req.endpoint,
            headers: req.headers,
            checksumType: req.checksum ? req.checksum.type : null,
            ttl: req.timeout,
            tracing: {
                spanid: hex(tracing.spanid),
                parentid: hex(tracing.parentid),
                traceid: hex(tracing.traceid),
                flags: tracing.flags
            },
            remoteName: req.connection ? req.connection.remoteName : null,
            // "out": the call came down a connection this server opened (e.g. to advertise);
            // "in": one the caller opened to us.
            connectionDirection: req.connection ? req.connection.direction : null,
            socketRemoteAddr: req.connection ? req.connection.socketRemoteAddr : null,
            arg2: {length: arg2.length, sha256: sha256(arg2)},
            arg3: {length: arg3.length, sha256: sha256(arg3)}
        };
        res.headers.as = 'raw';
        res.sendOk(arg2, JSON.stringify(seen));
    });

    json.register(sub, 'add', {}, function add(ctx, req, head, body, cb) {
        var a = body && body.a;
        var b = body && body.b;
        if (typeof a !== 'number' || typeof b !== 'number') {
            cb(null, {ok: false, head: head, body: {type: 'bad-args', message: 'a and b must be numbers'}});
            return;
        }
        cb(null, {ok: true, head: head, body: {sum: a + b}});
    });

    json.register(sub, 'fail', {}, function fail(ctx, req, head, body, cb) {
        // What tchannel-node's as/json sends for an application error: the error object is
        // JSON-stringified into arg3 of a not-ok (code 0x01) call res.
        cb(null, {ok: false, head: null, body: {type: 'bad', message: 'nope'}});
    });
}

// KeyValue over as/thrift on `sub`, with an in-memory store, plus tchannel-node's Meta::health
// (registered through isHealthy) and Meta::thriftIDL.
function registerKeyValue(sub) {
    var thrift = TChannelAsThrift({
        source: fs.readFileSync(KEYVALUE_IDL, 'utf8'),
        strict: false,
        channel: sub,
        isHealthy: function isHealthy() { return {ok: true}; },
        // Register Meta::* now rather than after an async file read (no race with LISTENING).
        loadMetaAsync: false
    });
    thrift.registerHealthSync();
    var store = Object.create(null);

    thrift.register(sub, 'KeyValue::getValue', {}, function getValue(ctx, req, head, args, cb) {
        var key = args.key;
        if (!Object.prototype.hasOwnProperty.call(store, key)) {
            cb(null, {ok: false, head: head, typeName: 'notFound', body: new thrift.spec.NotFoundError({key: key})});
            return;
        }
        cb(null, {ok: true, head: head, body: store[key]});
    });

    thrift.register(sub, 'KeyValue::setValue', {}, function setValue(ctx, req, head, args, cb) {
        store[args.key] = args.value;
        cb(null, {ok: true, head: head, body: null});
    });
}

// as/json's register() wraps a handler and calls channel.register(name, wrapped); hand it a
// stand-in channel to get the wrapped (raw-level) handler back without registering it.
function captureJSONHandler(json, sub, name, handler) {
    var captured = null;
    json.register({
        logger: sub.logger,
        register: function register(n, fn) { captured = fn; }
    }, name, {}, handler);
    return captured;
}

// --hyperbahn: advertise every service to the routers with tchannel-node's HyperbahnClient.
// Returns {unadvertise(cb), stop()}.
function startHyperbahn(channel, opts, logger) {
    var HyperbahnClient = require('tchannel/hyperbahn');
    function event(name, obj) {
        process.stdout.write(name + ' ' + JSON.stringify(obj) + '\n');
    }
    channel.connectionEvent.on(function onConnection(conn) {
        conn.identifiedEvent.on(function identified() {
            event('CONNECTION', {direction: conn.direction, remoteName: conn.remoteName,
                socketRemoteAddr: conn.socketRemoteAddr});
        });
    });
    // HyperbahnClient warns once per client that tcollector tracing is off; that is intended.
    var quietLogger = Object.create(logger);
    quietLogger.warn = function warn(msg, info) {
        if (/tcollector tracing is OFF/.test(String(msg))) return;
        logger.warn(msg, info);
    };
    var names = [];
    opts.services.concat(opts.thriftServices).forEach(function add(n) {
        if (names.indexOf(n) < 0) names.push(n);
    });
    var clients = names.map(function make(serviceName) {
        var client = HyperbahnClient({
            tchannel: channel,
            serviceName: serviceName,
            hostPortList: opts.hyperbahn,
            logger: quietLogger,
            reportTracing: false,
            advertiseInterval: opts.advertiseInterval
        });
        var count = 0;
        client.on('advertised', function advertised() {
            count++;
            var r = client.latestAdvertisementResult;
            event('ADVERTISED', {service: serviceName, hostPort: channel.hostPort, count: count,
                result: r ? r.body : null});
        });
        client.on('error', function onError(err) {
            event('ADVERTISE-FAILED', {service: serviceName, error: String(err && err.message)});
        });
        client.advertise();
        return client;
    });
    return {
        stop: function stop() {
            clients.forEach(function each(c) { c.destroy(); });
            event('ADVERTISING-STOPPED', {});
        },
        unadvertise: function unadvertise(cb) {
            var pending = 0;
            var called = false;
            function done() {
                if (called) return;
                called = true;
                clients.forEach(function each(c) { c.destroy(); });
                cb();
            }
            clients.forEach(function each(c) {
                if (!c.latestAdvertisementResult) return;
                pending++;
                c.once('unadvertised', function unadvertised() {
                    if (--pending === 0) done();
                });
                c.unadvertise();
            });
            if (pending === 0) done();
            else setTimeout(done, 1000).unref();
        }
    };
}

function main() {
    var opts = parseArgs(process.argv.slice(2));
    var logger = makeLogger(opts.verbose);
    var channel = new TChannel({logger: logger});
    var json = TChannelJSON({channel: channel, logParseFailures: true});

    var subs = Object.create(null);
    function subFor(serviceName) {
        if (!subs[serviceName]) subs[serviceName] = channel.makeSubChannel({serviceName: serviceName});
        return subs[serviceName];
    }
    opts.services.forEach(function each(serviceName) {
        registerEndpoints(subFor(serviceName), json);
    });
    opts.thriftServices.forEach(function each(serviceName) {
        registerKeyValue(subFor(serviceName));
    });

    var closing = false;
    function shutdown(signal) {
        if (closing) return;
        closing = true;
        logger.info('shutting down on ' + signal);
        var force = setTimeout(function forceExit() {
            process.stderr.write('node-server: close did not finish in 5 s, exiting\n');
            process.exit(0);
        }, 5000);
        force.unref();
        function closeChannel() {
            try {
                channel.close(function closed() { process.exit(0); });
            } catch (err) {
                process.stderr.write('node-server: close failed: ' + (err && err.stack || err) + '\n');
                process.exit(0);
            }
        }
        if (hyperbahn) hyperbahn.unadvertise(closeChannel);
        else closeChannel();
    }
    var hyperbahn = null;
    process.on('SIGTERM', function onTerm() { shutdown('SIGTERM'); });
    process.on('SIGINT', function onInt() { shutdown('SIGINT'); });

    channel.on('error', function onChannelError(err) {
        process.stderr.write('node-server: channel error: ' + (err && err.stack || err) + '\n');
    });

    channel.listen(opts.port, opts.host, function listening() {
        process.stdout.write('LISTENING ' + channel.hostPort + '\n');
        if (opts.hyperbahn) {
            hyperbahn = startHyperbahn(channel, opts, logger);
            process.on('SIGUSR2', function onUsr2() { hyperbahn.stop(); });
        }
    });
}

main();
