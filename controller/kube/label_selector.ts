/**
 * `metav1.LabelSelector` with apimachinery's semantics (`LabelSelectorAsSelector`): `matchLabels` and every
 * `matchExpressions` requirement must hold; an empty selector matches everything; `In`/`NotIn` need values,
 * `Exists`/`DoesNotExist` take none, and any other operator is invalid — an error naming it, never a silent "no".
 *
 * @module
 */

/** A label selector as the API has it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** What is wrong with `selector` (apimachinery would refuse to convert it), or undefined when it is valid. */
export function labelSelectorProblem(selector: LabelSelector): string | undefined {
  for (const [i, e] of (selector.matchExpressions ?? []).entries()) {
    const n = e.values?.length ?? 0;
    const where = `matchExpressions[${i}] (key "${e.key}")`;
    if (e.operator === "In" || e.operator === "NotIn") {
      if (n === 0) return `${where}: operator ${e.operator} needs at least one value`;
    } else if (e.operator === "Exists" || e.operator === "DoesNotExist") {
      if (n > 0) return `${where}: operator ${e.operator} takes no values`;
    } else {
      return `${where}: "${e.operator}" is not a valid operator (In, NotIn, Exists, DoesNotExist)`;
    }
  }
  return undefined;
}

/** Whether `labels` satisfy `selector`; an invalid requirement never matches (check {@link labelSelectorProblem}). */
export function labelSelectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const okLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return okLabels && (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case "In":
        return has && (e.values ?? []).includes(labels[e.key]!);
      case "NotIn":
        return !has || !(e.values ?? []).includes(labels[e.key]!);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
}
