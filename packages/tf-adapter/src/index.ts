export const packageName = '@gpux/tf-adapter';
