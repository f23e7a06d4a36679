/** `words` with its first letter upper-case, for messages that begin with a caller's noun ("the file" → "The file"). */
export const capitalise = (words: string): string => words.charAt(0).toUpperCase() + words.slice(1);
