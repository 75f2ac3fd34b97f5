// The benchmark's thrift service: echo a payload back (packages/bench).
struct Payload {
  1: required i32 seq
  2: required binary data
}

service Bench {
  Payload echo(1: required Payload payload)
}
