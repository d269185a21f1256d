export const packageName = '@gpux/cli';
