export const packageName = '@gpux/optimizer';
