export const packageName = '@gpux/test-helpers';
