export const packageName = '@gpux/hf-manager';
