// A tiny ONNX graph builder over onnx-proto: named values, one call per node, external-data initializers.
import { onnx } from 'onnx-proto';

export type Dim = number | string;
export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
export const BFLOAT16 = onnx.TensorProto.DataType.BFLOAT16;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT32 = onnx.TensorProto.DataType.INT32;

type Attr = number | number[] | string | onnx.ITensorProto;

export class GraphBuilder {
  private nodes: onnx.INodeProto[] = [];
  private initializers: onnx.ITensorProto[] = [];
  private inputs: onnx.IValueInfoProto[] = [];
  private outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** An initializer whose bytes live in another file (no copy of the weights in the graph). */
  external(name: string, dataType: number, dims: number[], location: string, offset: number, length: number): string {
    this.initializers.push({
      name,
      dataType,
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dataType: INT64, dims: [values.length], int64Data: values });
    return name;
  }

  int64Scalar(name: string, value: number): string {
    this.initializers.push({ name, dataType: INT64, dims: [], int64Data: [value] });
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push({ name, dataType: FLOAT, dims: [], floatData: [value] });
    return name;
  }

  /** Add a node; returns its output names (one unless `outputs` > 1). */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs: number | string[] = 1, name?: string): string[] {
    const id = name ?? `${op.toLowerCase()}_${this.counter++}`;
    const outs = Array.isArray(outputs) ? outputs : Array.from({ length: outputs }, (_, i) => (outputs === 1 ? id : `${id}_${i}`));
    this.nodes.push({ opType: op, name: id, input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs;
  }

  /** Shorthand for single-output nodes. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, name?: string): string {
    return this.node(op, inputs, attrs, 1, name)[0];
  }

  encode(opset: number): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'attention-inspector',
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: 'gpt2', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function attribute(name: string, v: Attr): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v };
  return { name, type: A.TENSOR, t: v };
}
