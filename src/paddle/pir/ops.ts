// The one table between PIR's `pd_op.*` operators and the ProgramDesc ops our translators take. Each row follows
// the op's definition in paddle/phi/ops/yaml/ops.yaml (or inconsistent/static_ops.yaml): operands in args order —
// tensors first, then the mutable attributes (IntArray/Scalar args that op_compat.yaml marks tensor_name /
// support_tensor, which PIR passes as operands, usually from full / full_int_array) — results in output order, and
// the remaining attributes in args order (the order Paddle's writer puts them in "A"). The internal names follow
// op_compat.yaml (`- op : reshape (reshape2)`, `attrs: {axis : dim}`, …).
// Adding an operator whose ProgramDesc converter exists is one row.
import type { AttrValue } from '../types.ts';

/** How an attribute is written in PIR ("A" list entry type). */
export type PirAttrType = 'bool' | 'i32' | 'i64' | 'f32' | 'f64' | 'str' | 'i32[]' | 'i64[]' | 'f32[]' | 'intarray' | 'dtype' | 'place';

export interface AttrRule {
  pir: string;
  internal: string;
  type: PirAttrType;
  /** ops.yaml default, used by the writer when the ProgramDesc op does not set it. */
  def?: AttrValue;
}

/** A mutable attribute: a constant operand folds into `internal`; otherwise it goes to the tensor input slot(s). */
export interface MutableAttr {
  attr: string;
  internal: string;
  as: 'ints' | 'float' | 'int';
  /** ProgramDesc input taking it as one tensor, and as a list of [1]-shaped tensors. */
  tensor?: string;
  list?: string;
}

export type OperandRule = { slot: string; list?: boolean } | { mutable: MutableAttr };

export interface OpRule {
  /** pd_op name without the dialect. */
  pir: string;
  internal: string;
  operands: OperandRule[];
  /**
   * ProgramDesc output slot per PIR result, as ops.yaml lists them today. Files from older Paddle releases may carry
   * more results (reshape's xshape, …): those are read and not used.
   */
  results: string[];
  attrs: AttrRule[];
  /** Attributes the ProgramDesc op has and the PIR op does not. */
  fixed?: Record<string, AttrValue>;
}

const int = (value: number): AttrValue => ({ kind: 'int', value });
const str = (value: string): AttrValue => ({ kind: 'string', value });
const t = (slot: string): OperandRule => ({ slot });
const a = (pir: string, type: PirAttrType, internal = pir, def?: AttrValue): AttrRule => ({ pir, internal, type, ...(def ? { def } : {}) });
const m = (attr: string, as: MutableAttr['as'], internal: string, tensor?: string, list?: string): OperandRule => ({
  mutable: { attr, internal, as, ...(tensor ? { tensor } : {}), ...(list ? { list } : {}) },
});

/** x → out, no attributes. */
const unary = (pir: string, internal = pir, fixed?: Record<string, AttrValue>): OpRule => ({
  pir,
  internal,
  operands: [t('X')],
  results: ['Out'],
  attrs: [],
  ...(fixed ? { fixed } : {}),
});
/** Elementwise binary ops: PIR broadcasts numpy-style, which is the ProgramDesc ops' axis = -1. */
const binary = (pir: string, internal: string): OpRule => ({ pir, internal, operands: [t('X'), t('Y')], results: ['Out'], attrs: [], fixed: { axis: int(-1) } });

const BATCH_NORM: Omit<OpRule, 'pir'> = {
  internal: 'batch_norm',
  operands: [t('X'), t('Mean'), t('Variance'), t('Scale'), t('Bias')],
  results: ['Y', 'MeanOut', 'VarianceOut', 'SavedMean', 'SavedVariance', 'ReserveSpace'],
  attrs: [
    a('is_test', 'bool'),
    a('momentum', 'f32'),
    a('epsilon', 'f32'),
    a('data_format', 'str', 'data_layout'),
    a('use_global_stats', 'bool'),
    a('trainable_statistics', 'bool'),
  ],
};

export const OP_RULES: readonly OpRule[] = [
  {
    pir: 'conv2d',
    internal: 'conv2d',
    operands: [t('Input'), t('Filter')],
    results: ['Output'],
    attrs: [a('strides', 'i32[]'), a('paddings', 'i32[]'), a('padding_algorithm', 'str'), a('dilations', 'i32[]'), a('groups', 'i32'), a('data_format', 'str')],
  },
  {
    pir: 'depthwise_conv2d',
    internal: 'depthwise_conv2d',
    operands: [t('Input'), t('Filter')],
    results: ['Output'],
    attrs: [a('strides', 'i32[]'), a('paddings', 'i32[]'), a('padding_algorithm', 'str'), a('groups', 'i32'), a('dilations', 'i32[]'), a('data_format', 'str')],
  },
  { pir: 'batch_norm', ...BATCH_NORM },
  { pir: 'batch_norm_', ...BATCH_NORM },
  {
    pir: 'pool2d',
    internal: 'pool2d',
    operands: [t('X'), m('kernel_size', 'ints', 'ksize')],
    results: ['Out'],
    attrs: [
      a('strides', 'i32[]'),
      a('paddings', 'i32[]'),
      a('ceil_mode', 'bool'),
      a('exclusive', 'bool'),
      a('data_format', 'str'),
      a('pooling_type', 'str'),
      a('global_pooling', 'bool'),
      a('adaptive', 'bool'),
      a('padding_algorithm', 'str'),
    ],
  },
  {
    pir: 'temporal_shift',
    internal: 'temporal_shift',
    operands: [t('X')],
    results: ['Out'],
    attrs: [a('seg_num', 'i32'), a('shift_ratio', 'f32'), a('data_format', 'str', 'data_format', str('NCHW'))],
  },
  unary('relu'),
  // ops.yaml: leaky_relu(Tensor x, float negative_slope = 0.02f); op_compat.yaml: negative_slope : alpha. Files of
  // version 4 on hold it as a double (patch/4.yaml); both read as a number.
  { pir: 'leaky_relu', internal: 'leaky_relu', operands: [t('X')], results: ['Out'], attrs: [a('negative_slope', 'f32', 'alpha')] },
  unary('sigmoid'),
  unary('hardswish', 'hard_swish'),
  binary('add', 'elementwise_add'),
  binary('subtract', 'elementwise_sub'),
  binary('multiply', 'elementwise_mul'),
  binary('divide', 'elementwise_div'),
  binary('maximum', 'elementwise_max'),
  binary('minimum', 'elementwise_min'),
  binary('elementwise_pow', 'elementwise_pow'),
  {
    pir: 'matmul',
    internal: 'matmul_v2',
    operands: [t('X'), t('Y')],
    results: ['Out'],
    attrs: [a('transpose_x', 'bool', 'trans_x'), a('transpose_y', 'bool', 'trans_y')],
  },
  {
    pir: 'legacy_matmul',
    internal: 'matmul',
    operands: [t('X'), t('Y')],
    results: ['Out'],
    attrs: [a('transpose_x', 'bool', 'transpose_X'), a('transpose_y', 'bool', 'transpose_Y'), a('alpha', 'f32')],
  },
  {
    pir: 'scale',
    internal: 'scale',
    operands: [t('X'), m('scale', 'float', 'scale', 'ScaleTensor')],
    results: ['Out'],
    attrs: [a('bias', 'f32'), a('bias_after_scale', 'bool')],
  },
  {
    pir: 'dropout',
    internal: 'dropout',
    operands: [t('X'), t('Seed'), m('p', 'float', 'dropout_prob')],
    results: ['Out', 'Mask'],
    attrs: [a('is_test', 'bool'), a('mode', 'str', 'dropout_implementation'), a('seed', 'i32'), a('fix_seed', 'bool')],
  },
  {
    pir: 'mean',
    internal: 'reduce_mean',
    operands: [t('X'), m('axis', 'ints', 'dim')],
    results: ['Out'],
    attrs: [a('keepdim', 'bool', 'keep_dim')],
  },
  { pir: 'softmax', internal: 'softmax', operands: [t('X')], results: ['Out'], attrs: [a('axis', 'i32')] },
  { pir: 'reshape', internal: 'reshape2', operands: [t('X'), m('shape', 'ints', 'shape', 'Shape', 'ShapeTensor')], results: ['Out'], attrs: [] },
  { pir: 'flatten', internal: 'flatten_contiguous_range', operands: [t('X')], results: ['Out'], attrs: [a('start_axis', 'i32'), a('stop_axis', 'i32')] },
  { pir: 'transpose', internal: 'transpose2', operands: [t('X')], results: ['Out'], attrs: [a('perm', 'i32[]', 'axis')] },
  { pir: 'squeeze', internal: 'squeeze2', operands: [t('X'), m('axis', 'ints', 'axes')], results: ['Out'], attrs: [] },
  {
    pir: 'unsqueeze',
    internal: 'unsqueeze2',
    operands: [t('X'), m('axis', 'ints', 'axes', 'AxesTensor', 'AxesTensorList')],
    results: ['Out'],
    attrs: [],
  },
  {
    pir: 'slice',
    internal: 'slice',
    operands: [t('Input'), m('starts', 'ints', 'starts', 'StartsTensor', 'StartsTensorList'), m('ends', 'ints', 'ends', 'EndsTensor', 'EndsTensorList')],
    results: ['Out'],
    attrs: [a('axes', 'i64[]'), a('infer_flags', 'i64[]'), a('decrease_axis', 'i64[]')],
  },
  { pir: 'concat', internal: 'concat', operands: [{ slot: 'X', list: true }, m('axis', 'int', 'axis', 'AxisTensor')], results: ['Out'], attrs: [] },
  { pir: 'cast', internal: 'cast', operands: [t('X')], results: ['Out'], attrs: [a('dtype', 'dtype', 'out_dtype')] },
  { pir: 'shape', internal: 'shape', operands: [t('Input')], results: ['Out'], attrs: [] },
  { pir: 'shape64', internal: 'shape', operands: [t('Input')], results: ['Out'], attrs: [] },
  {
    pir: 'full',
    internal: 'fill_constant',
    operands: [],
    results: ['Out'],
    attrs: [a('shape', 'intarray'), a('value', 'f64'), a('dtype', 'dtype'), a('place', 'place')],
  },
];

const BY_PIR = new Map(OP_RULES.map((r) => [`pd_op.${r.pir}`, r]));

/** The rule for a PIR op name ("pd_op.relu_" falls back to "pd_op.relu": in SSA form the in-place variant is the same op). */
export function ruleFor(name: string): OpRule | undefined {
  return BY_PIR.get(name) ?? (name.endsWith('_') ? BY_PIR.get(name.slice(0, -1)) : undefined);
}

/** The rule the writer uses for a ProgramDesc op type (the first row naming it). */
export function ruleForInternal(type: string): OpRule | undefined {
  return OP_RULES.find((r) => r.internal === type);
}

/** pd_op.full_int_array's attributes (ops.yaml: value, dtype, place); the writer builds it for IntArray operands. */
export const FULL_INT_ARRAY_ATTRS: readonly AttrRule[] = [a('value', 'i64[]'), a('dtype', 'dtype'), a('place', 'place')];
/** pd_op.data (name, shape, dtype, place) and pd_op.fetch (name, col). */
export const DATA_ATTRS: readonly AttrRule[] = [a('name', 'str'), a('shape', 'intarray'), a('dtype', 'dtype'), a('place', 'place')];
export const FETCH_ATTRS: readonly AttrRule[] = [a('name', 'str'), a('col', 'i32')];
