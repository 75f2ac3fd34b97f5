#!/usr/bin/env node
'use strict';
// One-shot tchannel-node 4.0.1 client for interop tests.
//
//   node node-client.js SPEC        SPEC = a JSON file path, a JSON string, or "-" (stdin)
//
// SPEC: {
//   hostPort: "127.0.0.1:4040",        the peer (must be ip:port, tchannel-node rejects names)
//   hyperbahnRouters?: ["127.0.0.1:21300", ...]   call through Hyperbahn instead: the calls go
//                                      to these routers via tchannel-node's HyperbahnClient
//                                      getClientChannel({serviceName}) (this process never
//                                      listens or advertises); hostPort may then be omitted
//   service: "svc",                    default service name for the calls
//   callerName?: "node-client",        the `cn` transport header
//   parallel?: false,                  true: send all calls at once (output still in call order)
//   inlineLimit?: 65536,               raw args longer than this are reported without utf8/hex
//   thriftIdl?: "keyvalue.thrift",     IDL for thrift calls (path, relative to peers/); default
//                                      peers/keyvalue.thrift. Meta::* endpoints always use
//                                      tchannel-node's own as/meta.thrift.
//   calls: [{
//     scheme: "raw" | "json" | "thrift" | "ping",
//     endpoint: "echo",                arg1
//     headers?: raw: string | "hex:..." | {pattern, length};  json: object (arg2)
//               thrift: object of strings (the thrift head)
//     body?:    raw: string | "hex:..." | {pattern, length};  json: any      (arg3)
//               thrift: the method's arguments struct, e.g. {key: "k"}
//     thriftIdl?: per-call override of spec.thriftIdl
//     timeout?: 5000,                  ms
//     checksumType?: 0|1|2|3,          default: tchannel-node's default, 3 (crc32c)
//     service?, callerName?,           per-call overrides
//     transportHeaders?: {sk: "..."},  extra transport headers (as/cn are set by the client)
//     retryLimit?: n, retryFlags?: "c" | "n" | "t" | "ct"   (tchannel-node defaults otherwise)
//     streamed?: true                  raw only: request({streamed: true}); arg2 ends at once, the
//                                      body is written to req.arg3 in 64 KiB chunks as generated,
//                                      paced on the connection's socket
//                                      (a {pattern, length} body is never held whole); the
//                                      response is read with withArg23
//   }]
// }
// `{pattern, length}` repeats `pattern` (a string or "hex:...") up to `length` bytes.
//
// Output: one JSON line per call on stdout, in call order, then exit 0 (call failures are
// results, not process failures; a bad SPEC or a crash exits non-zero):
//   raw:  {index, scheme, endpoint, ok, code, headers: Arg, body: Arg, transportHeaders, elapsedMs}
//         Arg = {length, sha256, utf8?, hex?}   (utf8/hex only when length <= inlineLimit)
//   json: {index, scheme, endpoint, ok, headers: <arg2 JSON>, body: <arg3 JSON>, transportHeaders, elapsedMs}
//         (for a not-ok json response `body` is the error object the server sent, e.g. {type, message})
//   thrift: {index, scheme, endpoint, ok, headers: <head>, body: <result>, transportHeaders, elapsedMs}
//         ok: body is the method's return value (null for void). Declared exception
//         (not-ok call res): ok=false, typeName = the result field ("notFound"),
//         exceptionType = its IDL type ("NotFoundError"), body = the exception's fields.
//   ping: {index, scheme, ok, rttMs}
//   any failure: {index, scheme, endpoint, ok: false, headers: null, body: null,
//                 error: {type, code?, codeName, message, isErrorFrame}, elapsedMs}
//         type is tchannel-node's error type ("tchannel.timeout", "tchannel.bad-request",
//         "tchannel.request.timeout", ...); code is the error-frame code when the error came
//         from an error frame; codeName is tchannel-node's classification ("Timeout", ...).

var crypto = require('crypto');
var fs = require('fs');
var TChannel = require('tchannel');
var TChannelJSON = require('tchannel/as/json');
var TChannelAsThrift = require('tchannel/as/thrift');
var path = require('path');
var Checksum = require('tchannel/v2/checksum');
var RetryFlags = require('tchannel/retry-flags');
var tchannelErrors = require('tchannel/errors');

var DEFAULT_TIMEOUT = 5000;
var DEFAULT_INLINE_LIMIT = 65536;
var DEFAULT_THRIFT_IDL = path.join(__dirname, 'keyvalue.thrift');
var META_THRIFT_IDL = path.join(path.dirname(require.resolve('tchannel/as/thrift')), 'meta.thrift');

function fail(msg) {
    process.stderr.write('node-client: ' + msg + '\n');
    process.exit(2);
}

function readSpec(arg) {
    if (!arg) fail('usage: node-client.js <spec.json | JSON string | ->');
    var text;
    if (arg === '-') text = fs.readFileSync(0, 'utf8');
    else if (/^\s*\{/.test(arg)) text = arg;
    else text = fs.readFileSync(arg, 'utf8');
    var spec;
    try {
        spec = JSON.parse(text);
    } catch (e) {
        fail('spec is not valid JSON: ' + e.message);
    }
    if (!spec || typeof spec !== 'object') fail('spec must be an object');
    if (spec.hyperbahnRouters !== undefined &&
        (!Array.isArray(spec.hyperbahnRouters) || spec.hyperbahnRouters.length === 0)) {
        fail('spec.hyperbahnRouters must be a non-empty array of host:port');
    }
    if (typeof spec.hostPort !== 'string' && !spec.hyperbahnRouters) fail('spec.hostPort is required');
    if (!Array.isArray(spec.calls)) fail('spec.calls must be an array');
    return spec;
}

function toBuffer(v, what) {
    if (v === undefined || v === null) return Buffer.alloc(0);
    if (Buffer.isBuffer(v)) return v;
    if (typeof v === 'string') {
        if (v.slice(0, 4) === 'hex:') return Buffer.from(v.slice(4), 'hex');
        return Buffer.from(v, 'utf8');
    }
    if (typeof v === 'object' && typeof v.length === 'number') {
        var pattern = toBuffer(v.pattern === undefined ? 'x' : v.pattern, what);
        if (pattern.length === 0) return Buffer.alloc(v.length);
        var out = Buffer.alloc(v.length);
        for (var off = 0; off < v.length; off += pattern.length) pattern.copy(out, off);
        return out;
    }
    throw new Error('bad raw ' + what + ': expected a string, "hex:..." or {pattern, length}');
}

// The socket of the connection to `hostPort` (for pacing a streamed body), if there is one.
function socketTo(channel, hostPort) {
    var peer = channel.peers.get(hostPort);
    var conns = (peer && peer.connections) || [];
    for (var i = conns.length - 1; i >= 0; i--) {
        if (conns[i].socket && !conns[i].closing) return conns[i].socket;
    }
    return null;
}

// tchannel-node resets a connection whose socket has more than 100 writes queued
// (connection.js MAX_PENDING_SOCKET_WRITE_REQ): a body written faster than the peer reads
// (a loaded machine, a reader that paused its socket) must wait for the socket to drain.
var PACE_BYTES = 256 * 1024;

// Writes a body to a writable arg stream in 64 KiB chunks, yielding to the event loop every
// 1 MiB so that frames leave while the rest is generated; with `socket`, a batch waits while more than
// PACE_BYTES are queued on it.
function streamBody(v, out, socket) {
    var CHUNK = 65536;
    var total;
    var pattern;
    if (v && typeof v === 'object' && !Buffer.isBuffer(v) && typeof v.length === 'number') {
        total = v.length;
        pattern = toBuffer(v.pattern === undefined ? 'x' : v.pattern, 'body');
    } else {
        var whole = toBuffer(v, 'body');
        out.end(whole);
        return;
    }
    var written = 0;
    function more() {
        if (socket && socket.writableLength > PACE_BYTES && !socket.destroyed) {
            socket.once('drain', more);
            return;
        }
        var batchEnd = Math.min(total, written + 1024 * 1024);
        while (written < batchEnd) {
            var n = Math.min(CHUNK, batchEnd - written);
            var chunk = Buffer.alloc(n);
            if (pattern.length > 0) {
                for (var i = 0; i < n; i++) chunk[i] = pattern[(written + i) % pattern.length];
            }
            written += n;
            out.write(chunk);
        }
        if (written < total) setImmediate(more);
        else out.end();
    }
    more();
}

function describeArg(buf, inlineLimit) {
    var out = {
        length: buf.length,
        sha256: crypto.createHash('sha256').update(buf).digest('hex')
    };
    if (buf.length <= inlineLimit) {
        out.utf8 = buf.toString('utf8');
        out.hex = buf.toString('hex');
    }
    return out;
}

function describeError(err) {
    if (!err || typeof err !== 'object') {
        return {type: 'client.unknown', codeName: null, message: String(err), isErrorFrame: false};
    }
    var codeName = null;
    try {
        codeName = tchannelErrors.classify(err) || null;
    } catch (e) {
        codeName = null;
    }
    var out = {
        type: err.type || err.name || 'client.exception',
        codeName: codeName,
        message: String(err.message),
        isErrorFrame: !!err.isErrorFrame
    };
    if (err.isErrorFrame && typeof err.errorCode === 'number') out.code = err.errorCode;
    return out;
}

function plainErrorBody(body) {
    // as/json turns a not-ok body into a ReconstructedError; give back the plain fields.
    if (!body || typeof body !== 'object') return body;
    var out = {};
    Object.keys(body).forEach(function copy(k) {
        if (k === 'stack' || k === 'fullType') return;
        if (k === 'name' && body[k] === 'TchannelHydratedErrorDefaultTypeError') return;
        out[k] = body[k];
    });
    return out;
}

// The IDL type name of a declared exception field of `endpoint`'s result struct.
function exceptionType(thrift, endpoint, fieldName) {
    try {
        var field = thrift.spec.getType(endpoint + '_result').fieldsByName[fieldName];
        return (field && field.valueType && field.valueType.name) || null;
    } catch (e) {
        return null;
    }
}

function parseRetryFlags(s) {
    if (typeof s !== 'string') return undefined;
    return new RetryFlags(s.indexOf('n') >= 0, s.indexOf('c') >= 0, s.indexOf('t') >= 0);
}

function makeLogger() {
    function write(level) {
        return function log(msg, info) {
            var line;
            try {
                line = JSON.stringify({level: level, msg: msg, info: info});
            } catch (e) {
                line = JSON.stringify({level: level, msg: msg});
            }
            process.stderr.write('node-client ' + line + '\n');
        };
    }
    function noop() {}
    var verbose = !!process.env.NODE_CLIENT_VERBOSE;
    return {
        debug: verbose ? write('debug') : noop,
        info: verbose ? write('info') : noop,
        warn: write('warn'),
        error: write('error'),
        fatal: write('fatal')
    };
}

function main() {
    var spec = readSpec(process.argv[2]);
    var inlineLimit = typeof spec.inlineLimit === 'number' ? spec.inlineLimit : DEFAULT_INLINE_LIMIT;
    var defaultCaller = spec.callerName || 'node-client';
    var channel = new TChannel({logger: makeLogger()});
    var subs = Object.create(null);
    var hyperbahnClient = null;
    if (spec.hyperbahnRouters) {
        var HyperbahnClient = require('tchannel/hyperbahn');
        var clientLogger = makeLogger();
        var warn = clientLogger.warn;
        clientLogger.warn = function quiet(msg, info) {
            if (/tcollector tracing is OFF/.test(String(msg))) return;
            warn(msg, info);
        };
        hyperbahnClient = HyperbahnClient({
            tchannel: channel,
            serviceName: defaultCaller,
            callerName: defaultCaller,
            hostPortList: spec.hyperbahnRouters,
            logger: clientLogger,
            reportTracing: false
        });
    }

    function subFor(serviceName) {
        if (!subs[serviceName]) {
            subs[serviceName] = hyperbahnClient ?
                hyperbahnClient.getClientChannel({serviceName: serviceName}) :
                channel.makeSubChannel({serviceName: serviceName, peers: [spec.hostPort]});
        }
        return subs[serviceName];
    }

    // One TChannelAsThrift per (service, IDL file): the client's spec decides how args and
    // results are encoded.
    var thrifts = Object.create(null);
    function thriftFor(serviceName, call) {
        var idl;
        if (/^Meta::/.test(call.endpoint || '')) idl = META_THRIFT_IDL;
        else idl = path.resolve(__dirname, call.thriftIdl || spec.thriftIdl || DEFAULT_THRIFT_IDL);
        var key = serviceName + '\u0000' + idl;
        if (!thrifts[key]) {
            thrifts[key] = TChannelAsThrift({
                source: fs.readFileSync(idl, 'utf8'),
                strict: false,
                channel: subFor(serviceName)
            });
        }
        return thrifts[key];
    }

    function plainStruct(v) {
        if (v === null || v === undefined || typeof v !== 'object') return v;
        if (Buffer.isBuffer(v)) return {buffer: v.toString('hex')};
        if (Array.isArray(v)) return v.map(plainStruct);
        if (v instanceof Map) {
            var entries = [];
            v.forEach(function each(val, k) { entries.push([plainStruct(k), plainStruct(val)]); });
            return {map: entries};
        }
        var out = {};
        Object.keys(v).forEach(function copy(k) {
            if (v[k] === null || v[k] === undefined) return;
            out[k] = plainStruct(v[k]);
        });
        return out;
    }

    function requestOptions(call, serviceName, as) {
        var headers = {};
        var extra = call.transportHeaders || {};
        Object.keys(extra).forEach(function copy(k) { headers[k] = String(extra[k]); });
        if (as) headers.as = as;
        headers.cn = call.callerName || defaultCaller;
        var opts = {
            serviceName: serviceName,
            hasNoParent: true,
            headers: headers,
            timeout: typeof call.timeout === 'number' ? call.timeout : DEFAULT_TIMEOUT
        };
        if (typeof call.checksumType === 'number') {
            if (call.checksumType === 0) {
                // tchannel-node treats checksumType 0 as "unset" and sends crc32c; a None
                // Checksum object is the only way to send type 0 (it carries no state, so it
                // is safe to share across retries).
                opts.checksum = new Checksum(Checksum.Types.None);
            } else {
                opts.checksumType = call.checksumType;
            }
        }
        if (typeof call.retryLimit === 'number') opts.retryLimit = call.retryLimit;
        var flags = parseRetryFlags(call.retryFlags);
        if (flags) opts.retryFlags = flags;
        return opts;
    }

    function runCall(call, index, done) {
        var scheme = call.scheme || 'raw';
        var serviceName = call.service || spec.service;
        var started = process.hrtime.bigint();
        var finished = false;
        function elapsed() { return Number(process.hrtime.bigint() - started) / 1e6; }
        function finish(result) {
            if (finished) return;
            finished = true;
            done(result);
        }
        function failed(err) {
            finish({
                index: index, scheme: scheme, endpoint: call.endpoint, ok: false,
                headers: null, body: null, error: describeError(err), elapsedMs: elapsed()
            });
        }

        try {
            if (scheme === 'raw' && call.streamed) {
                // A streamed request is made on an identified connection (tchannel-node asserts it).
                channel.waitForIdentified({host: spec.hostPort}, function identified(err) {
                    if (err) return failed(err);
                    var sreq = subFor(serviceName).request(Object.assign(requestOptions(call, serviceName, 'raw'), {streamed: true}));
                    sreq.on('error', failed);
                    sreq.on('response', function onStreamedResponse(res) {
                        res.withArg23(function onArgs(err, resArg2, resArg3) {
                            if (err) return failed(err);
                            finish({
                                index: index, scheme: scheme, endpoint: call.endpoint,
                                ok: !!res.ok, code: res.code, streamed: !!res.streamed,
                                headers: describeArg(toBuffer(resArg2), inlineLimit),
                                body: describeArg(toBuffer(resArg3), inlineLimit),
                                transportHeaders: res.headers || {},
                                elapsedMs: elapsed()
                            });
                        });
                    });
                    sreq.sendArg1(call.endpoint);
                    sreq.arg2.end(toBuffer(call.headers, 'headers'));
                    // arg2's end is flushed on a later tick: arg3 must start after it (else
                    // tchannel-node's own arg stream reports an out-of-order chunk).
                    setImmediate(function startBody() { streamBody(call.body, sreq.arg3, socketTo(channel, spec.hostPort)); });
                });
            } else if (scheme === 'raw') {
                var arg2 = toBuffer(call.headers, 'headers');
                var arg3 = toBuffer(call.body, 'body');
                subFor(serviceName)
                    .request(requestOptions(call, serviceName, 'raw'))
                    .send(call.endpoint, arg2, arg3, function onRaw(err, res, resArg2, resArg3) {
                        if (err) return failed(err);
                        finish({
                            index: index, scheme: scheme, endpoint: call.endpoint,
                            ok: !!res.ok, code: res.code,
                            headers: describeArg(toBuffer(resArg2), inlineLimit),
                            body: describeArg(toBuffer(resArg3), inlineLimit),
                            transportHeaders: res.headers || {},
                            elapsedMs: elapsed()
                        });
                    });
            } else if (scheme === 'json') {
                var sub = subFor(serviceName);
                var json = TChannelJSON({channel: sub});
                json.request(requestOptions(call, serviceName, 'json'))
                    .send(call.endpoint,
                        call.headers === undefined ? null : call.headers,
                        call.body === undefined ? null : call.body,
                        function onJson(err, resp) {
                            if (err) return failed(err);
                            finish({
                                index: index, scheme: scheme, endpoint: call.endpoint,
                                ok: !!resp.ok,
                                headers: resp.head === undefined ? null : resp.head,
                                body: resp.ok ? resp.body : plainErrorBody(resp.body),
                                transportHeaders: resp.headers || {},
                                elapsedMs: elapsed()
                            });
                        });
            } else if (scheme === 'thrift') {
                var thrift = thriftFor(serviceName, call);
                thrift.request(requestOptions(call, serviceName, 'thrift'))
                    .send(call.endpoint,
                        call.headers || {},
                        call.body === undefined ? {} : call.body,
                        function onThrift(err, resp) {
                            if (err) return failed(err);
                            var result = {
                                index: index, scheme: scheme, endpoint: call.endpoint,
                                ok: !!resp.ok,
                                headers: resp.head === undefined ? null : resp.head,
                                body: resp.body === undefined ? null : plainStruct(resp.body),
                                transportHeaders: resp.headers || {},
                                elapsedMs: elapsed()
                            };
                            if (!resp.ok) {
                                result.typeName = resp.typeName || null;
                                result.exceptionType = exceptionType(thrift, call.endpoint, resp.typeName);
                            }
                            finish(result);
                        });
            } else if (scheme === 'ping') {
                ping(call, function onPing(err, rttMs) {
                    if (err) return failed(err);
                    finish({index: index, scheme: scheme, ok: true, rttMs: rttMs});
                });
            } else {
                throw new Error('unknown scheme ' + JSON.stringify(scheme));
            }
        } catch (err) {
            failed(err);
        }
    }

    // Ping: tchannel-node has no public ping API, but TChannelConnection.ping() sends a ping
    // req (returning its frame id) and the connection's pingResponseEvent reports {id} of each
    // ping res received.
    function ping(call, cb) {
        var timeoutMs = typeof call.timeout === 'number' ? call.timeout : DEFAULT_TIMEOUT;
        var timer = setTimeout(function onTimeout() {
            cb({type: 'client.ping-timeout', message: 'no ping res within ' + timeoutMs + ' ms'});
            cb = function ignore() {};
        }, timeoutMs);
        channel.waitForIdentified({host: spec.hostPort}, function identified(err) {
            if (err) { clearTimeout(timer); return cb(err); }
            var peer = channel.peers.get(spec.hostPort);
            var conn = peer && (peer.getIdentifiedOutConnection() || peer.getIdentifiedInConnection());
            if (!conn) { clearTimeout(timer); return cb({type: 'client.no-connection', message: 'no identified connection'}); }
            var t0 = process.hrtime.bigint();
            var id = null;
            function onPingRes(res) {
                if (id === null || res.id !== id) return;
                conn.pingResponseEvent.removeListener(onPingRes);
                clearTimeout(timer);
                cb(null, Number(process.hrtime.bigint() - t0) / 1e6);
            }
            conn.pingResponseEvent.on(onPingRes);
            id = conn.ping();
        });
    }

    var calls = spec.calls;
    var results = new Array(calls.length);
    var printed = 0;
    function flush() {
        while (printed < calls.length && results[printed] !== undefined) {
            process.stdout.write(JSON.stringify(results[printed]) + '\n');
            printed++;
        }
        if (printed === calls.length) close();
    }
    function close() {
        var exited = false;
        function exit() {
            if (exited) return;
            exited = true;
            // Let stdout drain before exiting.
            process.stdout.write('', function () { process.exit(0); });
        }
        setTimeout(exit, 2000).unref();
        if (hyperbahnClient) hyperbahnClient.destroy();
        try {
            channel.close(exit);
        } catch (e) {
            exit();
        }
    }

    if (calls.length === 0) return close();
    if (spec.parallel) {
        calls.forEach(function each(call, i) {
            runCall(call, i, function done(r) { results[i] = r; flush(); });
        });
    } else {
        var next = function next(i) {
            if (i >= calls.length) return;
            runCall(calls[i], i, function done(r) {
                results[i] = r;
                flush();
                setImmediate(next, i + 1);
            });
        };
        next(0);
    }
}

main();
