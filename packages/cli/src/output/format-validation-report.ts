import type { ValidationReport } from '@gpux/converter-core';

const exponential = (value: number | null): string => (value === null ? '-' : value.toExponential(2));

/** Formats a validation report: one line per case and output with its numbers. */
export function formatValidationReport(report: ValidationReport): string {
  const lines = [
    `${report.passed ? 'PASSED' : 'FAILED'}: ${report.modelPath} against ${report.reference} (atol ${report.tolerances.atol}, rtol ${report.tolerances.rtol}${report.tolerances.minCosineSimilarity === undefined ? '' : `, min cosine ${report.tolerances.minCosineSimilarity}`})`,
  ];
  for (const validationCase of report.cases) {
    lines.push(`  case ${validationCase.label}: ${validationCase.passed ? 'passed' : 'failed'}${validationCase.failure === undefined ? '' : ` (${validationCase.failure})`}`);
    for (const output of validationCase.outputs) {
      const parts = [
        `max abs diff ${exponential(output.maxAbsDiff)}`,
        `max rel diff ${exponential(output.maxRelDiff)}`,
        `cosine ${output.cosineSimilarity === null ? '-' : output.cosineSimilarity.toFixed(6)}`,
        ...(output.argmaxAgreement === undefined ? [] : [`argmax ${(output.argmaxAgreement * 100).toFixed(1)}%`]),
        ...(output.nanCount + output.infCount > 0 ? [`${output.nanCount} NaN, ${output.infCount} Inf`] : []),
      ];
      lines.push(`    ${output.passed ? 'ok  ' : 'FAIL'} ${output.name} [${output.shape.join('x')}]: ${parts.join(', ')}${output.failure === undefined ? '' : ` — ${output.failure}`}`);
    }
  }
  return lines.join('\n');
}
