// The part of thriftrw 3.12.0 we use: it ships no types (and @types/thriftrw does not exist).
declare module "thriftrw" {
  export interface ThriftModel {
    readonly typeid: number;
    readonly name?: string | null;
  }
  export interface ThriftField {
    readonly id: number;
    readonly name: string;
    readonly required: boolean;
    readonly optional: boolean;
    readonly valueType: ThriftModel;
    readonly defaultValue: unknown;
  }
  export interface ThriftStructModel extends ThriftModel {
    readonly name: string;
    readonly fields: ThriftField[];
    readonly isException: boolean;
    readonly isUnion?: boolean;
    readonly isArgument: boolean;
    readonly isResult: boolean;
  }
  export interface ThriftEnumModel extends ThriftModel {
    readonly name: string;
    readonly namesToValues: Record<string, number>;
    readonly valuesToNames: Record<number, string>;
  }
  export interface ThriftFunction {
    readonly name: string;
    readonly fullName: string;
    readonly oneway: boolean;
    readonly args: ThriftStructModel;
    readonly result: ThriftStructModel;
    /** The function's AST (thriftrw marks every unmarked argument optional on the model). */
    readonly def?: { readonly fields?: readonly { readonly id: { readonly value: number }; readonly optional: boolean }[] };
  }
  export interface ThriftOptions {
    source?: string;
    entryPoint?: string;
    idls?: Record<string, string>;
    allowFilesystemAccess?: boolean;
    strict?: boolean;
    allowOptionalArguments?: boolean;
    allowIncludeAlias?: boolean;
    defaultAsUndefined?: boolean;
    asts?: Record<string, unknown>;
  }
  export class Thrift {
    constructor(options: ThriftOptions);
    readonly services: Record<string, Record<string, ThriftFunction>>;
    readonly structs: Record<string, unknown>;
    readonly exceptions: Record<string, unknown>;
    readonly unions: Record<string, unknown>;
    readonly enums: Record<string, unknown>;
    readonly consts: Record<string, unknown>;
    readonly modules: Record<string, Thrift>;
    readonly models: Record<string, unknown>;
    getType(name: string): ThriftModel;
    getSources(): { entryPoint: string; idls: Record<string, string> };
    [name: string]: unknown;
  }
}

// thriftrw's pegjs parser of IDL text (what `new Thrift` parses with).
declare module "thriftrw/thrift-idl.js" {
  export interface IdlIdentifier {
    readonly name: string;
    readonly line: number;
    readonly column: number;
  }
  export interface IdlField {
    readonly id: { readonly value: number; readonly line: number; readonly column: number };
    readonly name: string;
  }
  export interface IdlDefinition {
    readonly type: string;
    readonly id?: IdlIdentifier | string;
    readonly line?: number;
    readonly column?: number;
    readonly namespace?: IdlIdentifier | null;
    readonly fields?: IdlField[];
    readonly functions?: { readonly id: IdlIdentifier; readonly fields?: IdlField[]; readonly throws?: IdlField[] }[];
  }
  export interface IdlProgram {
    readonly headers: IdlDefinition[];
    readonly definitions: IdlDefinition[];
  }
}
