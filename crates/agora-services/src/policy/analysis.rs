//! What a policy expression may do, checked once when the catalog is read, so that evaluating
//! it later can neither run away nor trip over a typo.
//!
//! CEL has no loops or recursion, but its macros (`all`, `exists`, `exists_one`, `map`,
//! `filter`) iterate, and nesting them multiplies their cost; a chain of `map`s can also
//! double a value's size at every step. `cel` 0.15 has no run-time cost limit, so the limit
//! is static: when a rule is compiled, a walk over its expression bounds, for every node, the
//! work of evaluating it and the size ("weight") of its value, from the sizes the form allows
//! (a text answer is at most its `max_length`) and the literals written in the rule. A rule
//! whose bound exceeds [`MAX_COST`] is refused when the catalog is read, with the bound in the
//! message, and so is one nested deeper than [`MAX_DEPTH`] (the interpreter recurses once per
//! level). The bound is deliberately pessimistic; real policies sit far below it.
//!
//! The walk also catches what would otherwise fail only at run time: a variable that does not
//! exist, `answers.<id>` naming no field of the form, `context.<name>` naming no context
//! value, a function the engine does not have, and iterating over a map, whose order the
//! engine does not fix (its maps are hash maps), which would make a decision depend on chance.

use std::collections::BTreeMap;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr, LiteralValue};
use cel::{Context, Env, ExecutionError, IdedExpr, Value};
use thiserror::Error;

use crate::form::{FieldKind, Form};

/// The most work one rule may take, in evaluation steps (roughly, one AST node or one
/// character or list element handled).
pub const MAX_COST: u64 = 1_000_000;
/// The deepest an expression may nest.
pub const MAX_DEPTH: u32 = 100;
/// The most macros (`all`, `exists`, `map`, …) that may nest inside one another.
pub const MAX_NESTED_MACROS: u32 = 3;
/// The longest a rule's `when` expression may be, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 2_000;

/// The variables a policy expression sees.
pub const VARIABLES: [&str; 5] = ["answers", "applicant", "submitted_at", "today", "context"];
/// The members of `context`.
pub const CONTEXT_MEMBERS: [&str; 1] = ["earlier_applications"];
/// Type names an expression may mention, as in `type(x) == string`.
const TYPE_NAMES: [&str; 9] = [
    "bool",
    "bytes",
    "double",
    "int",
    "list",
    "map",
    "null_type",
    "string",
    "uint",
];

/// What is wrong with a policy expression.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AnalysisError {
    /// A name that is not a variable.
    #[error("`{name}` is not a variable; a policy sees {}", VARIABLES.join(", "))]
    UnknownVariable {
        /// The name written.
        name: String,
    },
    /// `answers.<id>` where the form has no field `<id>`.
    #[error("`answers.{name}` names no field of this service's form (its fields: {known})")]
    UnknownField {
        /// The id written.
        name: String,
        /// The form's field ids.
        known: String,
    },
    /// `context.<name>` that the desk does not supply.
    #[error("`context.{name}` is not supplied (context has: {})", CONTEXT_MEMBERS.join(", "))]
    UnknownContext {
        /// The name written.
        name: String,
    },
    /// A function the engine does not have.
    #[error("`{name}` is not a function of CEL's standard library")]
    UnknownFunction {
        /// The name written.
        name: String,
    },
    /// A macro over something that is not a list.
    #[error(
        "a macro (all, exists, map, …) iterates over {what}; iterate over a list (a map's order \
         is not fixed, so the result could change from one run to the next)"
    )]
    NotAList {
        /// What it iterates over.
        what: &'static str,
    },
    /// Struct (message) construction, which policies have no types for.
    #[error("`{type_name}{{…}}` builds a message, and policies have no message types")]
    Struct {
        /// The type named.
        type_name: String,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the expression nests more than {MAX_DEPTH} levels deep; split it into simpler rules")]
    TooDeep,
    /// More nested macros than [`MAX_NESTED_MACROS`].
    #[error("more than {MAX_NESTED_MACROS} macros (all, exists, map, …) nest inside each other")]
    TooManyNestedMacros,
    /// A bound on its work above [`MAX_COST`].
    #[error(
        "the expression could take up to {cost} evaluation steps, more than the limit of \
         {MAX_COST}: macros over long lists, nested or chained, and values that grow at every \
         step multiply the cost"
    )]
    TooExpensive {
        /// The bound, saturated at `u64::MAX`.
        cost: u64,
    },
    /// Something the parser produced that no valid expression has.
    #[error("the expression is incomplete")]
    Unspecified,
}

/// What kind of value an expression yields, as far as the walk needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    List,
    Map,
    Other,
}

/// Bounds on one expression: the work of evaluating it, and the size of its value.
#[derive(Debug, Clone, Copy)]
struct Bound {
    cost: u64,
    weight: u64,
    shape: Shape,
}

impl Bound {
    fn leaf(weight: u64, shape: Shape) -> Self {
        Self {
            cost: 1,
            weight,
            shape,
        }
    }
}

/// Checks `expr` against the form and the limits; returns the bound on its cost.
pub(crate) fn analyse(expr: &IdedExpr, form: &Form, env: &Arc<Env>) -> Result<u64, AnalysisError> {
    let mut walker = Walker {
        form,
        env,
        scopes: Vec::new(),
        nested_macros: 0,
        functions: BTreeMap::new(),
    };
    let bound = walker.walk(expr, 0)?;
    if bound.cost > MAX_COST {
        return Err(AnalysisError::TooExpensive { cost: bound.cost });
    }
    Ok(bound.cost)
}

struct Walker<'a> {
    form: &'a Form,
    env: &'a Arc<Env>,
    /// Comprehension variables in scope, innermost last.
    scopes: Vec<(String, Bound)>,
    nested_macros: u32,
    /// Functions already looked up: whether the engine has them.
    functions: BTreeMap<(String, bool), bool>,
}

/// Functions whose value is a number, a boolean, a timestamp or a duration: a small value,
/// whatever the size of their arguments.
const SMALL_RESULTS: [&str; 33] = [
    "_&&_",
    "_||_",
    "!_",
    "@not_strictly_false",
    "_==_",
    "_!=_",
    "_<_",
    "_<=_",
    "_>_",
    "_>=_",
    "@in",
    "size",
    "int",
    "uint",
    "double",
    "bool",
    "timestamp",
    "duration",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDayOfMonth",
    "getDate",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
    "-_",
];

/// The size of a field's answer.
fn field_weight(kind: &FieldKind) -> u64 {
    match kind {
        FieldKind::Text(text) => text.max_length + 1,
        FieldKind::Choice(choice) => {
            choice
                .options
                .iter()
                .map(|o| o.value.len() as u64)
                .max()
                .unwrap_or(0)
                + 1
        }
        FieldKind::Location(_) => 5,
        FieldKind::Number(_) | FieldKind::Date(_) | FieldKind::YesNo(_) => 1,
    }
}

fn add(a: u64, b: u64) -> u64 {
    a.saturating_add(b)
}

fn mul(a: u64, b: u64) -> u64 {
    a.saturating_mul(b)
}

impl Walker<'_> {
    fn local(&self, name: &str) -> Option<Bound> {
        self.scopes
            .iter()
            .rev()
            .find(|(local, _)| local == name)
            .map(|(_, bound)| *bound)
    }

    fn answers_weight(&self) -> u64 {
        self.form.fields().iter().fold(1, |sum, field| {
            add(sum, add(field.id.len() as u64, field_weight(&field.kind)))
        })
    }

    fn variable(&self, name: &str) -> Result<Bound, AnalysisError> {
        if let Some(bound) = self.local(name) {
            return Ok(Bound { cost: 1, ..bound });
        }
        match name {
            "answers" => Ok(Bound::leaf(self.answers_weight(), Shape::Map)),
            "applicant" => Ok(Bound::leaf(64, Shape::Other)),
            "submitted_at" | "today" => Ok(Bound::leaf(1, Shape::Other)),
            "context" => Ok(Bound::leaf(32, Shape::Map)),
            _ if TYPE_NAMES.contains(&name) => Ok(Bound::leaf(1, Shape::Other)),
            _ => Err(AnalysisError::UnknownVariable {
                name: name.to_owned(),
            }),
        }
    }

    /// Whether the engine has a function of that name (called on a target or not). A call
    /// with no arguments tells: an unknown name is an "undeclared reference", a known one
    /// fails to match an overload instead.
    fn has_function(&mut self, name: &str, member: bool) -> bool {
        if let Some(known) = self.functions.get(&(name.to_owned(), member)) {
            return *known;
        }
        let probe = if member {
            format!("null.{name}()")
        } else {
            format!("{name}()")
        };
        let known = match self.env.parser().parse(&probe) {
            Ok(expr) => {
                let context = Context::with_env(Arc::clone(self.env));
                !matches!(
                    Value::resolve(&expr, &context),
                    Err(ExecutionError::UndeclaredReference(ref missing)) if missing.as_str() == name
                )
            }
            Err(_) => false,
        };
        self.functions.insert((name.to_owned(), member), known);
        known
    }

    fn walk(&mut self, expr: &IdedExpr, depth: u32) -> Result<Bound, AnalysisError> {
        if depth > MAX_DEPTH {
            return Err(AnalysisError::TooDeep);
        }
        let depth = depth + 1;
        match &expr.expr {
            Expr::Literal(literal) => Ok(Bound::leaf(
                match literal {
                    LiteralValue::String(text) => add(text.inner().chars().count() as u64, 1),
                    LiteralValue::Bytes(bytes) => add(bytes.inner().len() as u64, 1),
                    _ => 1,
                },
                Shape::Other,
            )),
            Expr::Ident(name) => self.variable(name),
            Expr::Select(select) => {
                let root = match &select.operand.expr {
                    Expr::Ident(name) if self.local(name).is_none() => Some(name.as_str()),
                    _ => None,
                };
                let operand = self.walk(&select.operand, depth)?;
                let (weight, shape) = match root {
                    Some("answers") => {
                        let field = self.form.field(&select.field).ok_or_else(|| {
                            AnalysisError::UnknownField {
                                name: select.field.clone(),
                                known: self
                                    .form
                                    .fields()
                                    .iter()
                                    .map(|f| f.id.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                            }
                        })?;
                        let shape = match field.kind {
                            FieldKind::Location(_) => Shape::Map,
                            _ => Shape::Other,
                        };
                        (field_weight(&field.kind), shape)
                    }
                    Some("context") => {
                        if !CONTEXT_MEMBERS.contains(&select.field.as_str()) {
                            return Err(AnalysisError::UnknownContext {
                                name: select.field.clone(),
                            });
                        }
                        (1, Shape::Other)
                    }
                    _ => (operand.weight, Shape::Other),
                };
                if select.test {
                    Ok(Bound {
                        cost: add(operand.cost, 1),
                        weight: 1,
                        shape: Shape::Other,
                    })
                } else {
                    Ok(Bound {
                        cost: add(operand.cost, 1),
                        weight,
                        shape,
                    })
                }
            }
            Expr::List(list) => {
                let mut bound = Bound::leaf(1, Shape::List);
                for element in &list.elements {
                    let element = self.walk(element, depth)?;
                    bound.cost = add(bound.cost, element.cost);
                    bound.weight = add(bound.weight, element.weight);
                }
                Ok(bound)
            }
            Expr::Map(map) => {
                let mut bound = Bound::leaf(1, Shape::Map);
                for entry in &map.entries {
                    let EntryExpr::MapEntry(entry) = &entry.expr else {
                        return Err(AnalysisError::Unspecified);
                    };
                    for part in [&entry.key, &entry.value] {
                        let part = self.walk(part, depth)?;
                        bound.cost = add(bound.cost, part.cost);
                        bound.weight = add(bound.weight, part.weight);
                    }
                }
                Ok(bound)
            }
            Expr::Struct(structure) => Err(AnalysisError::Struct {
                type_name: structure.type_name.clone(),
            }),
            Expr::Call(call) => {
                let name = call.func_name.as_str();
                if name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && !self.has_function(name, call.target.is_some())
                {
                    return Err(AnalysisError::UnknownFunction {
                        name: name.to_owned(),
                    });
                }
                let mut parts = Vec::with_capacity(call.args.len() + 1);
                if let Some(target) = &call.target {
                    parts.push(self.walk(target, depth)?);
                }
                for arg in &call.args {
                    parts.push(self.walk(arg, depth)?);
                }
                let cost = parts.iter().fold(1, |sum, part| add(sum, part.cost));
                let weights = parts.iter().fold(0, |sum, part| add(sum, part.weight));
                Ok(match name {
                    "_?_:_" => {
                        let (then, otherwise) = (parts.get(1), parts.get(2));
                        let weight = then
                            .map_or(1, |b| b.weight)
                            .max(otherwise.map_or(1, |b| b.weight));
                        let shape = match (then, otherwise) {
                            (Some(a), Some(b)) if a.shape == b.shape => a.shape,
                            _ => Shape::Other,
                        };
                        Bound {
                            cost,
                            weight,
                            shape,
                        }
                    }
                    "matches" => {
                        // Compiling the pattern and matching are linear in each, so their
                        // product bounds both.
                        let product = parts.iter().fold(1, |p, part| mul(p, part.weight.max(1)));
                        Bound {
                            cost: add(cost, product),
                            weight: 1,
                            shape: Shape::Other,
                        }
                    }
                    _ if SMALL_RESULTS.contains(&name) => Bound {
                        cost: add(cost, weights),
                        weight: 1,
                        shape: Shape::Other,
                    },
                    "_+_" => Bound {
                        cost: add(cost, weights),
                        weight: add(weights, 1),
                        shape: if parts.iter().all(|p| p.shape == Shape::List) {
                            Shape::List
                        } else {
                            Shape::Other
                        },
                    },
                    "_[_]" => Bound {
                        cost: add(cost, parts.first().map_or(1, |p| p.weight)),
                        weight: parts.first().map_or(1, |p| p.weight),
                        shape: Shape::Other,
                    },
                    // Anything else (`string`, `dyn`, `type`, arithmetic): its value is at
                    // most its arguments together, plus the text of a number.
                    _ => Bound {
                        cost: add(cost, weights),
                        weight: add(weights, 32),
                        shape: Shape::Other,
                    },
                })
            }
            Expr::Comprehension(comprehension) => {
                // The range is walked outside the macro: chained macros (`l.map(…).filter(…)`)
                // do not nest, and cost their sum, not their product.
                let range = self.walk(&comprehension.iter_range, depth)?;
                self.nested_macros += 1;
                if self.nested_macros > MAX_NESTED_MACROS {
                    return Err(AnalysisError::TooManyNestedMacros);
                }
                match range.shape {
                    Shape::List => {}
                    Shape::Map => {
                        return Err(AnalysisError::NotAList { what: "a map" });
                    }
                    Shape::Other => {
                        return Err(AnalysisError::NotAList {
                            what: "something that is not known to be a list",
                        });
                    }
                }
                // Every element weighs at most the whole list, and there are at most as many
                // elements as the list weighs.
                let count = range.weight;
                let item = Bound::leaf(range.weight, Shape::Other);
                let init = self.walk(&comprehension.accu_init, depth)?;
                let scope = self.scopes.len();
                self.scopes.push((comprehension.iter_var.clone(), item));
                if let Some(second) = &comprehension.iter_var2 {
                    self.scopes.push((second.clone(), item));
                }
                // How much one step adds to the accumulator, then the accumulator's bound.
                self.scopes
                    .push((comprehension.accu_var.clone(), Bound::leaf(0, init.shape)));
                let growth = self.walk(&comprehension.loop_step, depth)?.weight;
                self.scopes.pop();
                let accumulator = Bound::leaf(add(init.weight, mul(count, growth)), init.shape);
                self.scopes
                    .push((comprehension.accu_var.clone(), accumulator));
                let condition = self.walk(&comprehension.loop_cond, depth)?;
                let step = self.walk(&comprehension.loop_step, depth)?;
                let result = self.walk(&comprehension.result, depth)?;
                self.scopes.truncate(scope);
                self.nested_macros -= 1;
                let cost = add(
                    add(range.cost, init.cost),
                    add(mul(count, add(condition.cost, step.cost)), result.cost),
                );
                if cost > MAX_COST {
                    return Err(AnalysisError::TooExpensive { cost });
                }
                Ok(Bound {
                    cost,
                    weight: result.weight,
                    shape: result.shape,
                })
            }
            Expr::Unspecified => Err(AnalysisError::Unspecified),
        }
    }
}
