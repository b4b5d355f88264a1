import onnxProto from 'onnx-proto';
import type { AttributeValue, ElemType, GraphDefinition } from './graphDefinition';
import type { Segment } from './segments';

const { onnx } = onnxProto;

/** ONNX opset of the default domain: 21 has Gelu(approximate), LayerNormalization, ReduceMean with axes as input. */
export const OPSET = 21;
const IR_VERSION = 10;

const DATA_TYPE: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function attribute(name: string, attr: AttributeValue): onnxProto.onnx.IAttributeProto {
  // Every attribute carries its type explicitly: ORT rejects an INT sent where a FLOAT is declared.
  switch (attr.kind) {
    case 'int':
      return { name, type: onnx.AttributeProto.AttributeType.INT, i: attr.value };
    case 'float':
      return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: attr.value };
    case 'ints':
      return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: attr.value };
    case 'string':
      return { name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(attr.value, 'utf8') };
  }
}

function valueInfo(name: string, type: ElemType): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DATA_TYPE[type] } } };
}

/** Serialises one segment as a ModelProto. Weights are graph inputs, so the model bytes hold no weights. */
export function encodeSegment(graph: GraphDefinition, segment: Segment): Uint8Array {
  const typeOf = (name: string): ElemType => {
    const type = graph.types.get(name);
    if (!type) throw new Error(`no type recorded for ${name}`);
    return type;
  };
  const usedConstants = new Set(segment.nodes.flatMap((node) => node.inputs).filter((name) => graph.constants.has(name)));
  const initializer = [...usedConstants].map((name) => {
    const c = graph.constants.get(name)!;
    const tensor: onnxProto.onnx.ITensorProto = { name, dims: c.dims, dataType: DATA_TYPE[c.type] };
    if (c.type === 'float') tensor.floatData = c.values;
    else if (c.type === 'int64') tensor.int64Data = c.values;
    else tensor.int32Data = c.values; // BOOL is stored in int32_data
    return tensor;
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'mechlens',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'segment',
      node: segment.nodes.map((node) => ({
        opType: node.op,
        domain: node.domain ?? '',
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes).map(([name, attr]) => attribute(name, attr)),
      })),
      input: segment.inputs.map((name) => valueInfo(name, typeOf(name))),
      output: segment.outputs.map((name) => valueInfo(name, typeOf(name))),
      initializer,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
