export const packageName = '@gpux/pytorch-adapter';
