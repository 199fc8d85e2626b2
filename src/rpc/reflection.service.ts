import { type DescFile, type DescMessage, type DescService, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** The one-of answers of a reflection request, the same in v1 and v1alpha. */
type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

type Question =
  | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

const NOT_FOUND = 5;

/**
 * gRPC server reflection, v1 and v1alpha, from the generated descriptors, so
 * `grpcurl list` and `describe` work. Connect-ES has none, hence ours. The
 * reflection services list themselves, as grpc-go's do. `extraFiles` makes
 * types no service names resolvable, such as the error details in trailers.
 */
export function reflectionServices(
  services: readonly DescService[],
  extraFiles: readonly DescFile[] = [],
): {
  v1: ServiceImpl<typeof ReflectionV1>;
  v1alpha: ServiceImpl<typeof ReflectionV1alpha>;
} {
  const all = [...services, ReflectionV1, ReflectionV1alpha];
  const index = indexFiles([...all.map((s) => s.file), ...extraFiles]);
  const answer = (q: Question): Answer => {
    switch (q.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: all.map((s) => ({ name: s.typeName })) } };
      case "fileByFilename":
        return filesAnswer(index.byName.get(q.value), `file ${q.value}`);
      case "fileContainingSymbol":
        return filesAnswer(index.bySymbol.get(q.value), `symbol ${q.value}`);
      case "allExtensionNumbersOfType":
        return index.messages.has(q.value)
          ? { case: "allExtensionNumbersResponse", value: { baseTypeName: q.value, extensionNumber: [] } }
          : notFound(`type ${q.value}`);
      case "fileContainingExtension":
        return notFound(`extension ${q.value.extensionNumber} of ${q.value.containingType}`);
      default:
        return { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty reflection request" } };
    }
  };
  const impl = {
    async *serverReflectionInfo(requests: AsyncIterable<{ host: string; messageRequest: Question }>) {
      for await (const req of requests) {
        const originalRequest = { host: req.host, messageRequest: req.messageRequest };
        yield { validHost: req.host, originalRequest, messageResponse: answer(req.messageRequest) };
      }
    },
  };
  // v1 and v1alpha messages have the same fields; the generated types differ only in name.
  return { v1: impl as unknown as ServiceImpl<typeof ReflectionV1>, v1alpha: impl as unknown as ServiceImpl<typeof ReflectionV1alpha> };
}

function filesAnswer(file: DescFile | undefined, what: string): Answer {
  if (!file) return notFound(what);
  const files = new Set<DescFile>();
  const add = (f: DescFile) => {
    if (files.has(f)) return;
    files.add(f);
    f.dependencies.forEach(add);
  };
  add(file);
  return {
    case: "fileDescriptorResponse",
    value: { fileDescriptorProto: [...files].map((f) => toBinary(FileDescriptorProtoSchema, f.proto)) },
  };
}

function notFound(what: string): Answer {
  return { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } };
}

function indexFiles(roots: DescFile[]) {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  const messages = new Set<string>();
  const addMessage = (file: DescFile, m: DescMessage) => {
    bySymbol.set(m.typeName, file);
    messages.add(m.typeName);
    m.nestedMessages.forEach((n) => addMessage(file, n));
    m.nestedEnums.forEach((e) => bySymbol.set(e.typeName, file));
    for (const field of m.fields) bySymbol.set(`${m.typeName}.${field.name}`, file);
  };
  const addFile = (file: DescFile) => {
    if (byName.has(file.proto.name)) return;
    byName.set(file.proto.name, file);
    file.messages.forEach((m) => addMessage(file, m));
    file.enums.forEach((e) => bySymbol.set(e.typeName, file));
    for (const s of file.services) {
      bySymbol.set(s.typeName, file);
      for (const m of s.methods) bySymbol.set(`${s.typeName}.${m.name}`, file);
    }
    file.dependencies.forEach(addFile);
  };
  roots.forEach(addFile);
  return { byName, bySymbol, messages };
}
