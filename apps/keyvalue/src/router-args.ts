import { readRouterFile } from "tchannel-ts";

/** `--routers a:1,b:2` or `--router-file hosts.json`, as the server and the client take them. */
export function routersFromArgs(values: { routers?: string | undefined; "router-file"?: string | undefined }): string[] | undefined {
  if (values.routers !== undefined && values["router-file"] !== undefined) throw new Error("give --routers or --router-file, not both");
  if (values.routers !== undefined) {
    const list = values.routers.split(",").map((s) => s.trim()).filter(Boolean);
    if (list.length === 0) throw new Error("--routers wants host:port[,host:port...]");
    return list;
  }
  if (values["router-file"] !== undefined) return readRouterFile(values["router-file"]);
  return undefined;
}
