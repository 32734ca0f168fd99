export { listTiers } from './list-tiers';
export { createTier } from './create-tier';
export { updateTier } from './update-tier';
export { listServices } from './list-services';
export { createService } from './create-service';
export { updateService } from './update-service';
export { deleteService } from './delete-service';
export { CreateTierInput, UpdateTierInput, CreateServiceInput, UpdateServiceInput } from './inputs';
export type { TierDto, ServiceDto } from './dto';
